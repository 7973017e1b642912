// UpdateContainerGroup's semantics, as pure functions over the model: which parts of a spec an
// update replaces, whether the result differs at all, and whether the running containers must
// be recreated for it to take effect. No I/O; thread-safe.
//
// The API reference (6.2) gives every updatable part "full update" semantics: a part that is
// present replaces the stored one as a whole (a list replaces the whole list), a part that is
// absent keeps its value. Group Cpu and Memory cannot be updated.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/model.h"

namespace openeci::core {

// The parts of a spec one UpdateContainerGroup (or UpdateContainerGroupByTemplate) gives.
struct GroupUpdate {
  std::optional<RestartPolicy> restart_policy;
  std::optional<std::vector<Tag>> tags;
  std::optional<std::vector<VolumeSpec>> volumes;
  std::optional<DnsConfigSpec> dns_config;
  std::optional<std::vector<ContainerSpec>> containers;
  std::optional<std::vector<ContainerSpec>> init_containers;
  std::optional<std::vector<RegistryCredential>> credentials;
  std::optional<std::string> resource_group_id;
  // Accepted only when equal to the stored value (the reference: "cannot be updated").
  std::optional<double> cpu;
  std::optional<double> memory_gib;
};

// `current` with every present part of `update` replacing its counterpart. A Cpu or Memory that
// differs from the stored one is refused with InvalidParameter naming it.
StatusOr<ContainerGroupSpec> ApplyUpdate(const ContainerGroupSpec& current,
                                         const GroupUpdate& update);

// Whether two specs are equal in every field (Boost.Describe member-wise, so fields added to
// the model later take part without anyone remembering to list them).
bool SameSpec(const ContainerGroupSpec& a, const ContainerGroupSpec& b);

// Whether going from `before` to `after` needs the group's containers recreated. Not needed when
// only tags, the resource group and image registry credentials changed, with no more credentials
// than before (the reference's rule: credentials only matter to the next pull).
bool UpdateNeedsRestart(const ContainerGroupSpec& before, const ContainerGroupSpec& after);

}  // namespace openeci::core
