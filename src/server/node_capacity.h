// The node's capacity for container groups: what the machine has (CPUs this process may run
// on, capped by a cgroup CPU quota; MemTotal, capped by a cgroup memory limit), minus what is
// reserved for the host, times the overcommit ratio. Read once at start-up. Pure apart from
// reading /proc and /sys; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "core/admission.h"
#include "server/config.h"

namespace openeci::server {

struct MachineResources {
  double cpu = 0;         // CPUs
  double memory_gib = 0;  // GiB
};

// What the machine offers this process, read below `proc_root` and `cgroup_root` (normally
// "/proc" and "/sys/fs/cgroup"; tests point them at fixtures). cgroup v1 and v2 are read.
MachineResources DetectMachine(const std::string& proc_root, const std::string& cgroup_root);

// (machine, or the configured capacity_* when non-zero) - reserved, x overcommit; never < 0.
core::NodeCapacity NodeCapacityFor(const ServerConfig& config, const MachineResources& machine);

}  // namespace openeci::server
