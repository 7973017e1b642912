// Validation of container-group specs against the API reference's rules and this node's
// topology. Pure functions, thread-safe. Each failure names the offending parameter with its
// wire name (e.g. "Container.2.Name") and carries the documented error code.
#pragma once

#include "common/status.h"
#include "core/model.h"
#include "core/topology.h"

namespace openeci::core {

// Limits of the API reference (CreateContainerGroup / UpdateContainerGroup, sections 6.1 and
// 6.2, and the response types of section 2), in one table; README.md lists the same table.
// Counts over the limit answer InvalidParameter.LengthExceeded, values over it
// InvalidParameter.ValueExceeded. Volume limits are the volume rules' (see README, Volumes).
// The 2020 reference's Container type says "a maximum of five (init) containers can be
// returned"; ECI accepts 20 today, and so does OpenECI (groups of six containers are common).
inline constexpr int kMaxContainers = 20;
inline constexpr int kMaxInitContainers = 20;
inline constexpr int kMaxCommands = 20;        // Command.N: "a maximum of 20 commands"
inline constexpr int kMaxCommandLength = 256;  // each command "up to 256 characters"
inline constexpr int kMaxArgs = 10;            // Arg.N: "Maximum: 10"
inline constexpr int kMaxEnvVars = 100;        // EnvironmentVar.N: "A maximum of 100"
inline constexpr int kMaxEnvKeyLength = 128;   // Key: "1 to 128 characters"
inline constexpr int kMaxEnvValueLength = 256;  // Value: "0 to 256 characters"
inline constexpr int kMaxPorts = 100;          // Port.N: "A maximum of 100"
inline constexpr int kMinPort = 1;             // Port.N.Port: "1 to 65535"
inline constexpr int kMaxPort = 65535;
inline constexpr int kMaxTags = 20;            // Tag.N: "up to 20 tags"
inline constexpr int kMaxTagKeyLength = 128;
inline constexpr int kMaxTagValueLength = 128;
inline constexpr int kMaxCredentials = 10;     // ImageRegistryCredential.N: "A maximum of 10"
inline constexpr int kMaxClientTokenLength = 64;  // "cannot exceed 64 characters"
inline constexpr int kMaxContainerNameLength = 63;  // a Kubernetes DNS label
inline constexpr int kMinGroupNameLength = 2;
inline constexpr int kMaxGroupNameLength = 128;
inline constexpr int kMaxImageLength = 512;
inline constexpr double kDefaultGroupCpu = 2;
inline constexpr double kDefaultGroupMemoryGib = 4;

// The vCPU : GiB combinations ECI sells (its "instance specifications" table; the 2020
// reference only names the error, InvalidParameter.CPU.Memory). A group's Cpu/Memory must be
// one of them; when not given they are derived from the containers and rounded up to the
// smallest combination that holds them.
struct CpuMemorySpec {
  double cpu;
  double memory_gib;
};
inline constexpr CpuMemorySpec kAllowedCpuMemory[] = {
    {0.25, 0.5}, {0.25, 1},  {0.5, 1},   {0.5, 2},   {1, 2},     {1, 4},     {1, 8},
    {2, 1},      {2, 2},     {2, 4},     {2, 8},     {2, 16},    {4, 4},     {4, 8},
    {4, 16},     {4, 32},    {8, 4},     {8, 8},     {8, 16},    {8, 32},    {8, 64},
    {12, 12},    {12, 24},   {12, 48},   {12, 96},   {16, 16},   {16, 32},   {16, 64},
    {16, 128},   {24, 24},   {24, 48},   {24, 96},   {24, 192},  {32, 32},   {32, 64},
    {32, 128},   {32, 256},  {52, 96},   {52, 192},  {52, 384},  {64, 128},  {64, 256},
    {64, 512}};

bool IsAllowedCpuMemory(double cpu, double memory_gib);

// What a group's containers need: the sum of the regular containers, or the largest init
// container if that is more (init containers run one at a time, before the others).
CpuMemorySpec ContainerDemand(const ContainerGroupSpec& spec);

// Checks region, zone, VSwitch and security group against `topology`. Call before
// FillDefaults: ZoneId / VSwitchId / SecurityGroupId may still be empty here.
Status ValidatePlacement(const ContainerGroupSpec& spec, const Topology& topology);

// Fills what the user may omit: zone, VSwitch and security group from the node's defaults;
// a group Cpu or Memory not given: the smallest allowed combination (kAllowedCpuMemory) that
// holds ContainerDemand and matches what was given (neither given and no container asks for
// anything: the ECI default 2 vCPU / 4 GiB). ValidateSpec refuses what cannot be filled.
void FillDefaults(ContainerGroupSpec& spec, const Topology& topology);

// Every rule on names, counts, lengths and values of the spec.
Status ValidateSpec(const ContainerGroupSpec& spec);

// Whether `token` is an acceptable ClientToken (ASCII, at most 64 characters).
Status ValidateClientToken(const std::string& token);

}  // namespace openeci::core
