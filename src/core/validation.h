// Validation of container-group specs against the API reference's rules and this node's
// topology. Pure functions, thread-safe. Each failure names the offending parameter with its
// wire name (e.g. "Container.2.Name") and carries the documented error code.
#pragma once

#include "common/status.h"
#include "core/model.h"
#include "core/topology.h"

namespace openeci::core {

// Limits of the API reference (CreateContainerGroup, section 6.1 and the response types).
inline constexpr int kMaxContainers = 20;
inline constexpr int kMaxCommands = 20;
inline constexpr int kMaxArgs = 10;
inline constexpr int kMaxCommandLength = 256;
inline constexpr int kMaxEnvVars = 100;
inline constexpr int kMaxEnvKeyLength = 128;
inline constexpr int kMaxEnvValueLength = 256;
inline constexpr int kMaxPorts = 100;
inline constexpr int kMaxTags = 20;
inline constexpr int kMaxCredentials = 10;
inline constexpr int kMaxClientTokenLength = 64;
inline constexpr double kDefaultGroupCpu = 2;
inline constexpr double kDefaultGroupMemoryGib = 4;

// Checks region, zone, VSwitch and security group against `topology`. Call before
// FillDefaults: ZoneId / VSwitchId / SecurityGroupId may still be empty here.
Status ValidatePlacement(const ContainerGroupSpec& spec, const Topology& topology);

// Fills what the user may omit: zone, VSwitch and security group from the node's defaults,
// group Cpu/Memory from the sum of the containers (or the ECI default 2 vCPU / 4 GiB).
void FillDefaults(ContainerGroupSpec& spec, const Topology& topology);

// Every rule on names, counts, lengths and values of the spec.
Status ValidateSpec(const ContainerGroupSpec& spec);

// Whether `token` is an acceptable ClientToken (ASCII, at most 64 characters).
Status ValidateClientToken(const std::string& token);

}  // namespace openeci::core
