#include "core/validation.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <string>

#include "core/pod_security.h"
#include "core/probe_validation.h"
#include "core/volumes.h"

namespace openeci::core {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// Lower-case letters, digits and hyphens, not starting or ending with a hyphen.
bool IsDnsName(const std::string& s, size_t min_len, size_t max_len) {
  if (s.size() < min_len || s.size() > max_len) return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return s.front() != '-' && s.back() != '-';
}

// The reference: letters, digits and underscores, not starting with a digit.
bool IsEnvKey(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string Item(const std::string& list, size_t index) {
  return list + "." + std::to_string(index + 1);
}

Status Missing(const std::string& param) {
  return MissingParameter("The input parameter \"" + param +
                          "\" that is mandatory for processing this request is not supplied.");
}

Status LengthExceeded(const std::string& param, int max) {
  return InvalidParameterCode("InvalidParameter.LengthExceeded",
                              "The parameter \"" + param + "\" has more than " +
                                  std::to_string(max) + " items.");
}

Status ValueExceeded(const std::string& param, const std::string& why) {
  return InvalidParameterCode("InvalidParameter.ValueExceeded",
                              "The parameter \"" + param + "\" " + why + ".");
}

Status TooLong(const std::string& param, int max) {
  return ValueExceeded(param, "is longer than " + std::to_string(max) + " characters");
}

Status Invalid(const std::string& param, const std::string& why) {
  return InvalidParameter("The parameter \"" + param + "\" " + why + ".");
}

std::string FormatAmount(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

Status CpuMemoryNotAllowed(const std::string& why) {
  return InvalidParameterCode("InvalidParameter.CPU.Memory",
                              "The specified cpu and memory are not allowed: " + why + ".");
}

Status ValidateResources(const std::string& prefix, double cpu, double memory) {
  if (!std::isfinite(cpu) || cpu < 0) return Invalid(prefix + "Cpu", "must be a positive number");
  if (!std::isfinite(memory) || memory < 0) {
    return Invalid(prefix + "Memory", "must be a positive number");
  }
  return Status::Ok();
}

Status ValidateEnv(const std::vector<EnvVar>& env, const std::string& p) {
  if (env.size() > kMaxEnvVars) return LengthExceeded(p + "EnvironmentVar", kMaxEnvVars);
  for (size_t i = 0; i < env.size(); ++i) {
    const EnvVar& e = env[i];
    std::string ep = Item(p + "EnvironmentVar", i) + ".";
    if (e.key.empty()) return Missing(ep + "Key");
    if (e.key.size() > kMaxEnvKeyLength) return TooLong(ep + "Key", kMaxEnvKeyLength);
    if (!IsEnvKey(e.key)) {
      return Invalid(ep + "Key",
                     "must be letters, digits or underscores and not start with a digit");
    }
    if (e.value.size() > kMaxEnvValueLength) return TooLong(ep + "Value", kMaxEnvValueLength);
    if (!e.field_path.empty() && e.field_path != "status.podIP") {
      return Invalid(ep + "FieldRef.FieldPath", "only supports status.podIP");
    }
  }
  return Status::Ok();
}

Status ValidatePorts(const std::vector<PortSpec>& ports, const std::string& p) {
  if (ports.size() > kMaxPorts) return LengthExceeded(p + "Port", kMaxPorts);
  for (size_t i = 0; i < ports.size(); ++i) {
    std::string pp = Item(p + "Port", i) + ".";
    if (ports[i].port < kMinPort || ports[i].port > kMaxPort) {
      return ValueExceeded(pp + "Port", "must be between 1 and 65535, got " +
                                            std::to_string(ports[i].port));
    }
    if (ports[i].protocol != "TCP" && ports[i].protocol != "UDP") {
      return Invalid(pp + "Protocol", "must be TCP or UDP");
    }
  }
  return Status::Ok();
}

Status ValidateContainer(const ContainerSpec& c, const std::string& p) {
  if (c.name.empty()) return Missing(p + "Name");
  if (c.name.size() > kMaxContainerNameLength) {
    return TooLong(p + "Name", kMaxContainerNameLength);
  }
  if (!IsDnsName(c.name, 1, kMaxContainerNameLength)) {
    return Invalid(p + "Name",
                   "must be lower-case letters, digits or hyphens, not starting or ending with "
                   "a hyphen");
  }
  if (c.image.empty()) return Missing(p + "Image");
  if (c.image.size() > kMaxImageLength) return TooLong(p + "Image", kMaxImageLength);
  if (c.image.find_first_of(" \t\r\n") != std::string::npos) {
    return Invalid(p + "Image", "is not a valid image reference");
  }
  RETURN_IF_ERROR(ValidateResources(p, c.cpu, c.memory_gib));
  if (c.gpu < 0) return Invalid(p + "Gpu", "must not be negative");
  if (c.command.size() > kMaxCommands) return LengthExceeded(p + "Command", kMaxCommands);
  for (size_t i = 0; i < c.command.size(); ++i) {
    if (c.command[i].size() > kMaxCommandLength) {
      return TooLong(Item(p + "Command", i), kMaxCommandLength);
    }
  }
  if (c.args.size() > kMaxArgs) return LengthExceeded(p + "Arg", kMaxArgs);
  RETURN_IF_ERROR(ValidateEnv(c.env, p));
  return ValidatePorts(c.ports, p);
}

// Container.N and InitContainer.N: each list within its limit, every container valid, names
// unique across both lists (they share one pod, as in Kubernetes).
Status ValidateContainers(const ContainerGroupSpec& spec) {
  if (spec.containers.empty()) return Missing("Container");
  if (spec.containers.size() > kMaxContainers) return LengthExceeded("Container", kMaxContainers);
  if (spec.init_containers.size() > kMaxInitContainers) {
    return LengthExceeded("InitContainer", kMaxInitContainers);
  }
  std::set<std::string> names;
  for (const auto& [list, containers] :
       {std::pair<std::string, const std::vector<ContainerSpec>*>{"Container", &spec.containers},
        {"InitContainer", &spec.init_containers}}) {
    for (size_t i = 0; i < containers->size(); ++i) {
      std::string p = Item(list, i) + ".";
      const ContainerSpec& c = (*containers)[i];
      RETURN_IF_ERROR(ValidateContainer(c, p));
      if (!names.insert(c.name).second) {
        return InvalidParameterCode("InvalidParameter.DuplicatedName",
                                    "The container group includes containers with duplicate "
                                    "names: \"" + c.name + "\" (" + p + "Name).");
      }
    }
  }
  return Status::Ok();
}

// The group's Cpu/Memory is a combination ECI sells and holds what its containers ask for.
Status ValidateGroupResources(const ContainerGroupSpec& spec) {
  RETURN_IF_ERROR(ValidateResources("", spec.cpu, spec.memory_gib));
  // Neither set: not derived yet (FillDefaults always sets both on the way to a create).
  if (spec.cpu == 0 && spec.memory_gib == 0) return Status::Ok();
  if (!IsAllowedCpuMemory(spec.cpu, spec.memory_gib)) {
    return CpuMemoryNotAllowed("Cpu " + FormatAmount(spec.cpu) + " with Memory " +
                               FormatAmount(spec.memory_gib) +
                               " GiB is not a container group specification (see the README "
                               "for the allowed vCPU:GiB combinations)");
  }
  CpuMemorySpec demand = ContainerDemand(spec);
  if (demand.cpu > spec.cpu + 1e-9 || demand.memory_gib > spec.memory_gib + 1e-9) {
    return CpuMemoryNotAllowed("the containers ask for Cpu " + FormatAmount(demand.cpu) +
                               " and Memory " + FormatAmount(demand.memory_gib) +
                               " GiB, more than the container group's Cpu " +
                               FormatAmount(spec.cpu) + " and Memory " +
                               FormatAmount(spec.memory_gib) + " GiB");
  }
  return Status::Ok();
}

Status ValidateTags(const std::vector<Tag>& tags) {
  if (tags.size() > kMaxTags) return LengthExceeded("Tag", kMaxTags);
  for (size_t i = 0; i < tags.size(); ++i) {
    std::string p = Item("Tag", i) + ".";
    const Tag& t = tags[i];
    if (t.key.empty()) return Missing(p + "Key");
    if (t.key.size() > kMaxTagKeyLength) return TooLong(p + "Key", kMaxTagKeyLength);
    if (t.key.rfind("aliyun", 0) == 0 || t.key.rfind("acs:", 0) == 0) {
      return Invalid(p + "Key", "must not start with aliyun or acs:");
    }
    if (t.value.size() > kMaxTagValueLength) return TooLong(p + "Value", kMaxTagValueLength);
    for (size_t j = 0; j < i; ++j) {
      if (tags[j].key == t.key) {
        return Invalid(p + "Key", "repeats the key \"" + t.key + "\" of " + Item("Tag", j) +
                                      ".Key; tag keys must be unique");
      }
    }
  }
  return Status::Ok();
}

Status ValidateCredentials(const std::vector<RegistryCredential>& credentials) {
  if (credentials.size() > kMaxCredentials) {
    return LengthExceeded("ImageRegistryCredential", kMaxCredentials);
  }
  for (size_t i = 0; i < credentials.size(); ++i) {
    std::string p = Item("ImageRegistryCredential", i) + ".";
    const RegistryCredential& c = credentials[i];
    for (const auto& [field, value] :
         {std::pair<std::string, const std::string*>{"Server", &c.server},
          {"UserName", &c.username},
          {"Password", &c.password}}) {
      if (value->empty()) return Missing(p + field);
    }
  }
  return Status::Ok();
}

// The smallest allowed combination (fewest vCPUs, then least memory) holding `demand` and
// equal to what the user fixed (`cpu` / `memory_gib` when non-zero).
std::optional<CpuMemorySpec> SmallestFit(CpuMemorySpec demand, double cpu, double memory_gib) {
  std::optional<CpuMemorySpec> best;
  for (const CpuMemorySpec& s : kAllowedCpuMemory) {
    if (cpu > 0 && s.cpu != cpu) continue;
    if (memory_gib > 0 && s.memory_gib != memory_gib) continue;
    if (s.cpu + 1e-9 < demand.cpu || s.memory_gib + 1e-9 < demand.memory_gib) continue;
    if (!best || s.cpu < best->cpu || (s.cpu == best->cpu && s.memory_gib < best->memory_gib)) {
      best = s;
    }
  }
  return best;
}

}  // namespace

Status ValidatePlacement(const ContainerGroupSpec& spec, const Topology& topology) {
  if (spec.region_id != topology.region_id) {
    return Status(StatusClass::kPermissionDenied, "RegionNotSupported",
                  "The specified RegionId \"" + spec.region_id +
                      "\" is not supported. This node serves " + topology.region_id + ".");
  }
  if (!spec.zone_id.empty() && !topology.HasZone(spec.zone_id)) {
    return Status(StatusClass::kPermissionDenied, "Zone.NotOnSale",
                  "The specified ZoneId \"" + spec.zone_id + "\" is not available.");
  }
  if (!spec.vswitch_id.empty()) {
    const VSwitch* vsw = topology.FindVSwitch(spec.vswitch_id);
    if (vsw == nullptr) {
      return NotFoundError("InvalidVSwitchId.NotFound",
                           "The specified VSwitchId \"" + spec.vswitch_id + "\" does not exist.");
    }
    if (!spec.zone_id.empty() && vsw->zone_id != spec.zone_id) {
      return Status(StatusClass::kPermissionDenied, "OperationDenied.VswZoneMismatch",
                    "The specified VSwitchId \"" + spec.vswitch_id +
                        "\" is not in the specified ZoneId \"" + spec.zone_id + "\".");
    }
  }
  if (!spec.security_group_id.empty() && !topology.HasSecurityGroup(spec.security_group_id)) {
    return NotFoundError("InvalidSecurityGroupId.NotFound",
                         "The specified SecurityGroupId \"" + spec.security_group_id +
                             "\" does not exist.");
  }
  return Status::Ok();
}

void FillDefaults(ContainerGroupSpec& spec, const Topology& topology) {
  if (spec.vswitch_id.empty()) {
    for (const VSwitch& v : topology.vswitches) {
      if (spec.zone_id.empty() || v.zone_id == spec.zone_id) {
        spec.vswitch_id = v.id;
        break;
      }
    }
  }
  if (spec.zone_id.empty()) {
    const VSwitch* vsw = topology.FindVSwitch(spec.vswitch_id);
    spec.zone_id = vsw ? vsw->zone_id : topology.zones.front();
  }
  if (spec.security_group_id.empty()) spec.security_group_id = topology.security_groups.front();
  if (spec.cpu > 0 && spec.memory_gib > 0) return;
  CpuMemorySpec demand = ContainerDemand(spec);
  if (spec.cpu == 0 && spec.memory_gib == 0 && demand.cpu == 0 && demand.memory_gib == 0) {
    demand = {kDefaultGroupCpu, kDefaultGroupMemoryGib};
  }
  if (std::optional<CpuMemorySpec> fit = SmallestFit(demand, spec.cpu, spec.memory_gib)) {
    spec.cpu = fit->cpu;
    spec.memory_gib = fit->memory_gib;
    return;
  }
  // Nothing fits: keep what is known; ValidateSpec names the problem.
  if (spec.cpu == 0) spec.cpu = demand.cpu;
  if (spec.memory_gib == 0) spec.memory_gib = demand.memory_gib;
}

bool IsAllowedCpuMemory(double cpu, double memory_gib) {
  for (const CpuMemorySpec& s : kAllowedCpuMemory) {
    if (std::abs(s.cpu - cpu) < 1e-9 && std::abs(s.memory_gib - memory_gib) < 1e-9) return true;
  }
  return false;
}

CpuMemorySpec ContainerDemand(const ContainerGroupSpec& spec) {
  CpuMemorySpec sum{0, 0};
  for (const ContainerSpec& c : spec.containers) {
    sum.cpu += c.cpu;
    sum.memory_gib += c.memory_gib;
  }
  for (const ContainerSpec& c : spec.init_containers) {
    sum.cpu = std::max(sum.cpu, c.cpu);
    sum.memory_gib = std::max(sum.memory_gib, c.memory_gib);
  }
  return sum;
}

Status ValidateSpec(const ContainerGroupSpec& spec) {
  if (spec.name.size() > kMaxGroupNameLength) {
    return TooLong("ContainerGroupName", kMaxGroupNameLength);
  }
  if (!IsDnsName(spec.name, kMinGroupNameLength, kMaxGroupNameLength)) {
    return Invalid("ContainerGroupName",
                   "must be 2 to 128 lower-case letters, digits or hyphens, not starting or "
                   "ending with a hyphen");
  }
  RETURN_IF_ERROR(ValidateContainers(spec));
  RETURN_IF_ERROR(ValidatePodSecurity(spec));
  RETURN_IF_ERROR(ValidateProbesAndTimers(spec));
  RETURN_IF_ERROR(ValidateVolumes(spec));
  RETURN_IF_ERROR(ValidateGroupResources(spec));
  RETURN_IF_ERROR(ValidateTags(spec.tags));
  return ValidateCredentials(spec.credentials);
}

Status ValidateClientToken(const std::string& token) {
  if (token.size() > kMaxClientTokenLength) return TooLong("ClientToken", kMaxClientTokenLength);
  for (unsigned char c : token) {
    if (c < 0x20 || c > 0x7e) return Invalid("ClientToken", "must contain ASCII characters only");
  }
  return Status::Ok();
}

}  // namespace openeci::core
