#include "core/validation.h"

#include <cmath>
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

bool IsEnvKey(const std::string& s) {
  if (s.empty() || s.size() > kMaxEnvKeyLength) return false;
  if (s[0] >= '0' && s[0] <= '9') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
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

Status Invalid(const std::string& param, const std::string& why) {
  return InvalidParameter("The parameter \"" + param + "\" " + why + ".");
}

Status ValidateResources(const std::string& prefix, double cpu, double memory) {
  if (!std::isfinite(cpu) || cpu < 0) return Invalid(prefix + "Cpu", "must be a positive number");
  if (!std::isfinite(memory) || memory < 0) {
    return Invalid(prefix + "Memory", "must be a positive number");
  }
  return Status::Ok();
}

Status ValidateContainer(const ContainerSpec& c, const std::string& p) {
  if (c.name.empty()) return MissingParameter("The input parameter \"" + p + "Name\" that is "
                                              "mandatory for processing this request is not "
                                              "supplied.");
  if (!IsDnsName(c.name, 1, 63)) {
    return Invalid(p + "Name",
                   "must be 1 to 63 lower-case letters, digits or hyphens, not starting or "
                   "ending with a hyphen");
  }
  if (c.image.empty()) {
    return MissingParameter("The input parameter \"" + p + "Image\" that is mandatory for "
                            "processing this request is not supplied.");
  }
  if (c.image.size() > 512 || c.image.find_first_of(" \t\r\n") != std::string::npos) {
    return Invalid(p + "Image", "is not a valid image reference");
  }
  RETURN_IF_ERROR(ValidateResources(p, c.cpu, c.memory_gib));
  if (c.command.size() > kMaxCommands) return LengthExceeded(p + "Command", kMaxCommands);
  for (size_t i = 0; i < c.command.size(); ++i) {
    if (c.command[i].size() > kMaxCommandLength) {
      return ValueExceeded(p + "Command." + std::to_string(i + 1), "is longer than 256 characters");
    }
  }
  if (c.args.size() > kMaxArgs) return LengthExceeded(p + "Arg", kMaxArgs);
  if (c.env.size() > kMaxEnvVars) return LengthExceeded(p + "EnvironmentVar", kMaxEnvVars);
  std::set<std::string> env_keys;
  for (size_t i = 0; i < c.env.size(); ++i) {
    const EnvVar& e = c.env[i];
    std::string ep = p + "EnvironmentVar." + std::to_string(i + 1) + ".";
    if (!IsEnvKey(e.key)) {
      return Invalid(ep + "Key",
                     "must be 1 to 128 letters, digits or underscores and not start with a digit");
    }
    if (e.value.size() > kMaxEnvValueLength) {
      return ValueExceeded(ep + "Value", "is longer than 256 characters");
    }
    if (!e.field_path.empty() && e.field_path != "status.podIP") {
      return Invalid(ep + "FieldRef.FieldPath", "only supports status.podIP");
    }
  }
  if (c.ports.size() > kMaxPorts) return LengthExceeded(p + "Port", kMaxPorts);
  for (size_t i = 0; i < c.ports.size(); ++i) {
    std::string pp = p + "Port." + std::to_string(i + 1) + ".";
    if (c.ports[i].port < 1 || c.ports[i].port > 65535) {
      return Invalid(pp + "Port", "must be between 1 and 65535");
    }
    if (c.ports[i].protocol != "TCP" && c.ports[i].protocol != "UDP") {
      return Invalid(pp + "Protocol", "must be TCP or UDP");
    }
  }
  return Status::Ok();
}

// Every container of `list` ("Container" or "InitContainer"), names unique across `names`.
Status ValidateContainerList(const std::vector<ContainerSpec>& list, const std::string& list_name,
                             std::set<std::string>& names) {
  for (size_t i = 0; i < list.size(); ++i) {
    std::string p = list_name + "." + std::to_string(i + 1) + ".";
    RETURN_IF_ERROR(ValidateContainer(list[i], p));
    if (!names.insert(list[i].name).second) {
      return InvalidParameterCode("InvalidParameter.DuplicatedName",
                                  "The container group includes containers with duplicate names: "
                                  "\"" + list[i].name + "\" (" + p + "Name).");
    }
  }
  return Status::Ok();
}

// Parts of the spec that are decoded but not yet honoured by the controller and runtime are
// refused here rather than accepted and ignored. Each feature removes its line once it works.
Status RejectNotYetHonoured(const ContainerGroupSpec& spec) {
  auto refuse = [](const std::string& param) {
    return InvalidParameter("The parameter \"" + param +
                            "\" is not supported by this OpenECI node yet; remove it from the "
                            "request.");
  };
  auto any_container = [&spec](auto pred) {
    for (const auto* list : {&spec.containers, &spec.init_containers}) {
      for (const ContainerSpec& c : *list) {
        if (pred(c)) return true;
      }
    }
    return false;
  };
  if (any_container([](const ContainerSpec& c) { return c.gpu != 0; })) {
    return refuse("Container.N.Gpu");
  }
  return Status::Ok();
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
  double cpu = 0, memory = 0;
  for (const ContainerSpec& c : spec.containers) {
    cpu += c.cpu;
    memory += c.memory_gib;
  }
  if (spec.cpu == 0) spec.cpu = cpu > 0 ? cpu : kDefaultGroupCpu;
  if (spec.memory_gib == 0) spec.memory_gib = memory > 0 ? memory : kDefaultGroupMemoryGib;
}

Status ValidateSpec(const ContainerGroupSpec& spec) {
  RETURN_IF_ERROR(RejectNotYetHonoured(spec));
  if (!IsDnsName(spec.name, 2, 128)) {
    return Invalid("ContainerGroupName",
                   "must be 2 to 128 lower-case letters, digits or hyphens, not starting or "
                   "ending with a hyphen");
  }
  RETURN_IF_ERROR(ValidateResources("", spec.cpu, spec.memory_gib));
  if (spec.containers.empty()) {
    return MissingParameter("The input parameter \"Container\" that is mandatory for processing "
                            "this request is not supplied.");
  }
  if (spec.containers.size() > kMaxContainers) return LengthExceeded("Container", kMaxContainers);
  std::set<std::string> names;  // containers and init containers share one name space
  RETURN_IF_ERROR(ValidateContainerList(spec.containers, "Container", names));
  RETURN_IF_ERROR(ValidateContainerList(spec.init_containers, "InitContainer", names));
  RETURN_IF_ERROR(ValidatePodSecurity(spec));
  RETURN_IF_ERROR(ValidateProbesAndTimers(spec));
  RETURN_IF_ERROR(ValidateVolumes(spec));
  double cpu_sum = 0, memory_sum = 0;
  for (const ContainerSpec& c : spec.containers) {
    cpu_sum += c.cpu;
    memory_sum += c.memory_gib;
  }
  if (cpu_sum > spec.cpu + 1e-9 || memory_sum > spec.memory_gib + 1e-9) {
    return InvalidParameterCode("InvalidParameter.CPU.Memory",
                                "The sum of the containers' Cpu/Memory exceeds the container "
                                "group's Cpu/Memory.");
  }
  if (spec.tags.size() > kMaxTags) return LengthExceeded("Tag", kMaxTags);
  for (size_t i = 0; i < spec.tags.size(); ++i) {
    std::string p = "Tag." + std::to_string(i + 1) + ".";
    const Tag& t = spec.tags[i];
    if (t.key.empty()) {
      return MissingParameter("The input parameter \"" + p + "Key\" that is mandatory for "
                              "processing this request is not supplied.");
    }
    if (t.key.size() > 128) return ValueExceeded(p + "Key", "is longer than 128 characters");
    if (t.key.rfind("aliyun", 0) == 0 || t.key.rfind("acs:", 0) == 0) {
      return Invalid(p + "Key", "must not start with aliyun or acs:");
    }
    if (t.value.size() > 128) return ValueExceeded(p + "Value", "is longer than 128 characters");
  }
  if (spec.credentials.size() > kMaxCredentials) {
    return LengthExceeded("ImageRegistryCredential", kMaxCredentials);
  }
  for (size_t i = 0; i < spec.credentials.size(); ++i) {
    std::string p = "ImageRegistryCredential." + std::to_string(i + 1) + ".";
    const RegistryCredential& c = spec.credentials[i];
    for (const auto& [field, value] : {std::pair<std::string, const std::string*>{"Server", &c.server},
                                       {"UserName", &c.username},
                                       {"Password", &c.password}}) {
      if (value->empty()) {
        return MissingParameter("The input parameter \"" + p + field + "\" that is mandatory "
                                "for processing this request is not supplied.");
      }
    }
  }
  return Status::Ok();
}

Status ValidateClientToken(const std::string& token) {
  if (token.size() > kMaxClientTokenLength) {
    return ValueExceeded("ClientToken", "is longer than 64 characters");
  }
  for (unsigned char c : token) {
    if (c < 0x20 || c > 0x7e) return Invalid("ClientToken", "must contain ASCII characters only");
  }
  return Status::Ok();
}

}  // namespace openeci::core
