// Decoding of the container-group parameters (CreateContainerGroup, UpdateContainerGroup) from
// flat RPC parameters ("Container.1.VolumeMount.2.Name=...") into the core model. Each decoder
// reads, and so consumes, only its own keys; a value of the wrong type gives InvalidParameter
// naming the key. Rules on names, counts and values are core's (core/validation.h). Pure
// functions, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "api/params.h"
#include "common/status.h"
#include "core/group_update.h"
#include "core/model.h"

namespace openeci::api {

// "Container.1" / "InitContainer.2": every field of one container.
StatusOr<core::ContainerSpec> DecodeContainer(const Params& params, const std::string& prefix);
// Every "<list>.N" container, in index order ("Container" or "InitContainer").
StatusOr<std::vector<core::ContainerSpec>> DecodeContainers(const Params& params,
                                                            const std::string& list);
StatusOr<std::vector<core::VolumeSpec>> DecodeVolumes(const Params& params);
std::vector<core::Tag> DecodeTags(const Params& params);
std::vector<core::RegistryCredential> DecodeCredentials(const Params& params);
core::DnsConfigSpec DecodeDnsConfig(const Params& params);
std::vector<core::HostAlias> DecodeHostAliases(const Params& params);
std::vector<core::Sysctl> DecodeSysctls(const Params& params);

// The whole spec of a CreateContainerGroup request (RegionId and ContainerGroupName required).
StatusOr<core::ContainerGroupSpec> DecodeGroupSpec(const Params& params);

// The parts an UpdateContainerGroup request gives (a list is given when it has an item, DnsConfig
// when it has any key); `UpdateType` must be RenewUpdate (the full update the reference
// describes) when present. ContainerGroupId, RegionId and ClientToken are the caller's.
StatusOr<core::GroupUpdate> DecodeGroupUpdate(const Params& params);

// Reads an enum parameter by its wire name (e.g. "OnFailure"); InvalidParameter names the key
// and `valid`, the list of valid values.
template <typename E>
Status GetEnum(const Params& params, const std::string& key, const char* valid, E* out);

}  // namespace openeci::api

#include <boost/describe/enum_from_string.hpp>

namespace openeci::api {

template <typename E>
Status GetEnum(const Params& params, const std::string& key, const char* valid, E* out) {
  std::optional<std::string> v = params.Get(key);
  if (!v) return Status::Ok();
  if (!boost::describe::enum_from_string(v->c_str(), *out)) {
    return InvalidParameter("The parameter \"" + key + "\" must be one of " + valid + ", got \"" +
                            *v + "\".");
  }
  return Status::Ok();
}

}  // namespace openeci::api
