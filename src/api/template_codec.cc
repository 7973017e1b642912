#include "api/template_codec.h"

#include <boost/describe/enum_to_string.hpp>
#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

#include "api/json_duplicate_keys.h"

namespace openeci::api {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// The key mapping. Each field is a template key and the flat parameter name it stands for,
// relative to its parent's ("" for an object whose members are flat parameters of the parent
// itself, like "resources" and "spec").

enum class Kind { kString, kNumber, kBool, kStringList, kObject, kObjectList };

struct Field {
  const char* key;   // lowerCamelCase, as the reference's templates write it
  const char* flat;  // flat name relative to the parent; "" = the parent's own level
  Kind kind;
  const std::vector<Field>* children = nullptr;  // kObject, kObjectList
  const char* volume_type = nullptr;  // kObject under a volume: the Type it implies
};

using Fields = std::vector<Field>;

const Fields& ProbeFields() {
  static const auto* exec = new Fields{{"command", "Command", Kind::kStringList}};
  static const auto* http = new Fields{{"path", "Path", Kind::kString},
                                       {"port", "Port", Kind::kNumber},
                                       {"scheme", "Scheme", Kind::kString}};
  static const auto* tcp = new Fields{{"port", "Port", Kind::kNumber}};
  static const auto* fields = new Fields{
      {"exec", "Exec", Kind::kObject, exec},
      {"httpGet", "HttpGet", Kind::kObject, http},
      {"tcpSocket", "TcpSocket", Kind::kObject, tcp},
      {"initialDelaySeconds", "InitialDelaySeconds", Kind::kNumber},
      {"periodSeconds", "PeriodSeconds", Kind::kNumber},
      {"timeoutSeconds", "TimeoutSeconds", Kind::kNumber},
      {"successThreshold", "SuccessThreshold", Kind::kNumber},
      {"failureThreshold", "FailureThreshold", Kind::kNumber},
  };
  return *fields;
}

const Fields& ContainerFields() {
  static const auto* resources = new Fields{{"cpu", "Cpu", Kind::kNumber},
                                            {"memory", "Memory", Kind::kNumber},
                                            {"gpu", "Gpu", Kind::kNumber}};
  static const auto* field_ref = new Fields{{"fieldPath", "FieldPath", Kind::kString}};
  static const auto* value_from = new Fields{{"fieldRef", "FieldRef", Kind::kObject, field_ref}};
  static const auto* env = new Fields{{"name", "Key", Kind::kString},
                                      {"value", "Value", Kind::kString},
                                      {"valueFrom", "", Kind::kObject, value_from}};
  static const auto* ports = new Fields{{"containerPort", "Port", Kind::kNumber},
                                        {"protocol", "Protocol", Kind::kString}};
  static const auto* mounts = new Fields{{"name", "Name", Kind::kString},
                                         {"mountPath", "MountPath", Kind::kString},
                                         {"subPath", "SubPath", Kind::kString},
                                         {"readOnly", "ReadOnly", Kind::kBool},
                                         {"mountPropagation", "MountPropagation", Kind::kString}};
  static const auto* capabilities = new Fields{{"add", "Add", Kind::kStringList}};
  static const auto* security = new Fields{
      {"readOnlyRootFilesystem", "ReadOnlyRootFilesystem", Kind::kBool},
      {"runAsUser", "RunAsUser", Kind::kNumber},
      {"capabilities", "Capability", Kind::kObject, capabilities}};
  static const auto* fields = new Fields{
      {"name", "Name", Kind::kString},
      {"image", "Image", Kind::kString},
      {"imagePullPolicy", "ImagePullPolicy", Kind::kString},
      {"workingDir", "WorkingDir", Kind::kString},
      {"resources", "", Kind::kObject, resources},
      {"command", "Command", Kind::kStringList},
      {"args", "Arg", Kind::kStringList},
      {"env", "EnvironmentVar", Kind::kObjectList, env},
      {"ports", "Port", Kind::kObjectList, ports},
      {"volumeMounts", "VolumeMount", Kind::kObjectList, mounts},
      {"readinessProbe", "ReadinessProbe", Kind::kObject, &ProbeFields()},
      {"livenessProbe", "LivenessProbe", Kind::kObject, &ProbeFields()},
      {"securityContext", "SecurityContext", Kind::kObject, security},
      // The reference's sample template writes runAsUser beside securityContext.
      {"runAsUser", "SecurityContext.RunAsUser", Kind::kNumber},
      {"stdin", "Stdin", Kind::kBool},
      {"stdinOnce", "StdinOnce", Kind::kBool},
      {"tty", "Tty", Kind::kBool},
  };
  return *fields;
}

const Fields& VolumeFields() {
  static const auto* nfs = new Fields{{"server", "Server", Kind::kString},
                                      {"path", "Path", Kind::kString},
                                      {"readOnly", "ReadOnly", Kind::kBool}};
  static const auto* empty_dir = new Fields{{"medium", "Medium", Kind::kString},
                                            {"sizeLimit", "SizeLimit", Kind::kString}};
  static const auto* items = new Fields{{"path", "Path", Kind::kString},
                                        {"content", "Content", Kind::kString},
                                        {"mode", "Mode", Kind::kNumber}};
  static const auto* config_file = new Fields{
      {"defaultMode", "DefaultMode", Kind::kNumber},
      {"items", "ConfigFileToPath", Kind::kObjectList, items}};
  static const auto* fields = new Fields{
      {"name", "Name", Kind::kString},
      {"nfs", "NFSVolume", Kind::kObject, nfs, "NFSVolume"},
      {"emptyDir", "EmptyDirVolume", Kind::kObject, empty_dir, "EmptyDirVolume"},
      {"configFile", "ConfigFileVolume", Kind::kObject, config_file, "ConfigFileVolume"},
  };
  return *fields;
}

const Fields& SpecFields() {
  static const auto* dns_options = new Fields{{"name", "Name", Kind::kString},
                                              {"value", "Value", Kind::kString}};
  static const auto* dns = new Fields{{"nameservers", "NameServer", Kind::kStringList},
                                      {"nameServers", "NameServer", Kind::kStringList},
                                      {"searches", "Search", Kind::kStringList},
                                      {"options", "Option", Kind::kObjectList, dns_options}};
  static const auto* secrets = new Fields{{"server", "Server", Kind::kString},
                                          {"userName", "UserName", Kind::kString},
                                          {"password", "Password", Kind::kString}};
  static const auto* aliases = new Fields{{"ip", "Ip", Kind::kString},
                                          {"hostnames", "Hostname", Kind::kStringList}};
  static const auto* sysctls = new Fields{{"name", "Name", Kind::kString},
                                          {"value", "Value", Kind::kString}};
  static const auto* security = new Fields{{"sysctls", "Sysctl", Kind::kObjectList, sysctls}};
  static const auto* fields = new Fields{
      {"restartPolicy", "RestartPolicy", Kind::kString},
      {"dnsPolicy", "DnsPolicy", Kind::kString},
      {"containers", "Container", Kind::kObjectList, &ContainerFields()},
      {"initContainers", "InitContainer", Kind::kObjectList, &ContainerFields()},
      {"volumes", "Volume", Kind::kObjectList, &VolumeFields()},
      {"dnsConfig", "DnsConfig", Kind::kObject, dns},
      {"imagePullSecrets", "ImageRegistryCredential", Kind::kObjectList, secrets},
      {"hostAliases", "HostAliase", Kind::kObjectList, aliases},
      {"securityContext", "SecurityContext", Kind::kObject, security},
      {"ntpServers", "NtpServer", Kind::kStringList},
      {"terminationGracePeriodSeconds", "TerminationGracePeriodSeconds", Kind::kNumber},
      {"activeDeadlineSeconds", "ActiveDeadlineSeconds", Kind::kNumber},
  };
  return *fields;
}

const Fields& TopFields() {
  static const auto* resources = new Fields{{"cpu", "Cpu", Kind::kNumber},
                                            {"memory", "Memory", Kind::kNumber}};
  static const auto* tags = new Fields{{"key", "Key", Kind::kString},
                                       {"value", "Value", Kind::kString}};
  static const auto* fields = new Fields{
      {"regionId", "RegionId", Kind::kString},
      {"zoneId", "ZoneId", Kind::kString},
      {"securityGroupId", "SecurityGroupId", Kind::kString},
      {"vSwitchId", "VSwitchId", Kind::kString},
      {"resourceGroupId", "ResourceGroupId", Kind::kString},
      {"containerGroupId", "ContainerGroupId", Kind::kString},
      {"containerGroupName", "ContainerGroupName", Kind::kString},
      {"instanceType", "InstanceType", Kind::kString},
      {"eipInstanceId", "EipInstanceId", Kind::kString},
      {"slsEnable", "SlsEnable", Kind::kBool},
      {"imageSnapshotId", "ImageSnapshotId", Kind::kString},
      {"autoMatchImageCache", "AutoMatchImageCache", Kind::kBool},
      {"resources", "", Kind::kObject, resources},
      {"tags", "Tag", Kind::kObjectList, tags},
      {"spec", "", Kind::kObject, &SpecFields()},
      // Kubernetes puts restartPolicy in the spec, as the reference's sample does; written at
      // the top level (as some users and the eci CLI's examples do) it means the same.
      {"restartPolicy", "RestartPolicy", Kind::kString},
  };
  return *fields;
}

// ---------------------------------------------------------------------------------------------
// Reading.

std::string Capitalized(std::string_view key) {
  std::string s(key);
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

bool KeyMatches(std::string_view given, const Field& field) {
  return given == field.key || given == Capitalized(field.key);
}

std::string JoinFlat(const std::string& prefix, std::string_view name) {
  if (name.empty()) return prefix;
  if (prefix.empty()) return std::string(name);
  return prefix + "." + std::string(name);
}

const char* KindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

std::string NumberText(const json::value& v) {
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v.as_double());
  return std::string(buf, end);
}

class Flattener {
 public:
  StatusOr<FlatTemplate> Run(const json::value& root) {
    if (!root.is_object()) {
      return TemplateFormatError("The template must be a JSON object, got " +
                                 std::string(KindName(root)) + ".");
    }
    RETURN_IF_ERROR(Object(root.as_object(), TopFields(), "", ""));
    return std::move(out_);
  }

 private:
  Status Put(const std::string& flat, const std::string& path, std::string value) {
    auto [it, inserted] = out_.params.emplace(flat, std::move(value));
    if (!inserted) {
      return TemplateFormatError("The template keys \"" + out_.paths[flat] + "\" and \"" + path +
                                 "\" give the same setting; keep one.");
    }
    out_.paths[flat] = path;
    return Status::Ok();
  }

  Status WrongType(const std::string& path, const char* expected, const json::value& v) {
    return TemplateFormatError("The template key \"" + path + "\" must be " + expected +
                               ", got " + KindName(v) + ".");
  }

  Status Object(const json::object& object, const Fields& fields, const std::string& flat,
                const std::string& path) {
    std::vector<const Field*> seen;
    for (const auto& [key, value] : object) {
      std::string child_path = path.empty() ? std::string(key) : path + "." + std::string(key);
      const Field* field = nullptr;
      for (const Field& f : fields) {
        if (KeyMatches(key, f)) field = &f;
      }
      if (field == nullptr) return UnknownKey(child_path, fields);
      for (const Field* s : seen) {
        if (s == field) {
          return TemplateFormatError("The template key \"" + child_path +
                                     "\" is given twice (keys may start upper or lower case, "
                                     "not both).");
        }
      }
      seen.push_back(field);
      RETURN_IF_ERROR(Value(value, *field, flat, child_path));
    }
    return Status::Ok();
  }

  Status UnknownKey(const std::string& path, const Fields& fields) {
    std::string known;
    for (const Field& f : fields) {
      if (f.key == std::string_view("nameServers")) continue;  // an alias of nameservers
      known += (known.empty() ? "" : ", ") + std::string(f.key);
    }
    return TemplateFormatError("The template key \"" + path +
                               "\" is unknown; the keys allowed there are: " + known + ".");
  }

  Status Value(const json::value& v, const Field& field, const std::string& parent_flat,
               const std::string& path) {
    std::string flat = JoinFlat(parent_flat, field.flat);
    if (v.is_null()) return Status::Ok();  // null: not given, as the SDKs treat it
    switch (field.kind) {
      case Kind::kString:
        if (!v.is_string()) return WrongType(path, "a string", v);
        return Put(flat, path, std::string(v.as_string()));
      case Kind::kNumber:
        if (v.is_number()) return Put(flat, path, NumberText(v));
        if (v.is_string()) return Put(flat, path, std::string(v.as_string()));
        return WrongType(path, "a number (or a numeric string)", v);
      case Kind::kBool:
        if (v.is_bool()) return Put(flat, path, v.as_bool() ? "true" : "false");
        if (v.is_string()) return Put(flat, path, std::string(v.as_string()));
        return WrongType(path, "a boolean (or \"true\"/\"false\")", v);
      case Kind::kStringList:
        return StringList(v, flat, path);
      case Kind::kObject:
        if (!v.is_object()) return WrongType(path, "an object", v);
        if (field.volume_type != nullptr) {
          RETURN_IF_ERROR(Put(JoinFlat(parent_flat, "Type"), path, field.volume_type));
        }
        return Object(v.as_object(), *field.children, flat, path);
      case Kind::kObjectList:
        return ObjectList(v, field, flat, path);
    }
    return Status::Ok();
  }

  Status StringList(const json::value& v, const std::string& flat, const std::string& path) {
    if (!v.is_array()) return WrongType(path, "an array of strings", v);
    const json::array& items = v.as_array();
    for (size_t i = 0; i < items.size(); ++i) {
      std::string item_path = path + "[" + std::to_string(i) + "]";
      if (!items[i].is_string()) return WrongType(item_path, "a string", items[i]);
      RETURN_IF_ERROR(
          Put(flat + "." + std::to_string(i + 1), item_path, std::string(items[i].as_string())));
    }
    return Status::Ok();
  }

  Status ObjectList(const json::value& v, const Field& field, const std::string& flat,
                    const std::string& path) {
    if (!v.is_array()) return WrongType(path, "an array of objects", v);
    const json::array& items = v.as_array();
    for (size_t i = 0; i < items.size(); ++i) {
      std::string item_path = path + "[" + std::to_string(i) + "]";
      if (!items[i].is_object()) return WrongType(item_path, "an object", items[i]);
      std::string item_flat = flat + "." + std::to_string(i + 1);
      RETURN_IF_ERROR(Object(items[i].as_object(), *field.children, item_flat, item_path));
    }
    return Status::Ok();
  }

  FlatTemplate out_;
};

// "line L, column C" of byte `offset` in `text` (1-based).
std::string Position(std::string_view text, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// ---------------------------------------------------------------------------------------------
// Flat names back to template paths.

bool ConsumeName(std::string_view& rest, std::string_view name) {
  if (name.empty()) return true;
  if (rest.substr(0, name.size()) != name) return false;
  if (rest.size() == name.size()) {
    rest = {};
    return true;
  }
  if (rest[name.size()] != '.') return false;
  rest.remove_prefix(name.size() + 1);
  return true;
}

std::optional<int> ConsumeIndex(std::string_view& rest) {
  size_t dot = rest.find('.');
  std::string_view digits = rest.substr(0, dot);
  int index = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc() || end != digits.data() + digits.size() || index < 1) return std::nullopt;
  rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  return index;
}

std::string PathIn(const Fields& fields, std::string_view rest, const std::string& path);

std::string PathOfField(const Field& f, std::string_view rest, const std::string& path) {
  std::string here = path.empty() ? f.key : path + "." + f.key;
  if (!ConsumeName(rest, f.flat)) return "";
  switch (f.kind) {
    case Kind::kObject:
      if (rest.empty()) return *f.flat ? here : "";
      return PathIn(*f.children, rest, here);
    case Kind::kStringList:
    case Kind::kObjectList: {
      if (rest.empty()) return here;
      std::optional<int> index = ConsumeIndex(rest);
      if (!index) return "";
      here += "[" + std::to_string(*index - 1) + "]";
      if (rest.empty()) return here;
      return f.kind == Kind::kObjectList ? PathIn(*f.children, rest, here) : "";
    }
    default:
      return rest.empty() ? here : "";
  }
}

std::string PathIn(const Fields& fields, std::string_view rest, const std::string& path) {
  for (const Field& f : fields) {
    std::string found = PathOfField(f, rest, path);
    if (!found.empty()) return found;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Writing.

// Names of the model's enums (PullPolicy, RestartPolicy) as the API writes them.
template <typename E>
json::string EnumText(E e) {
  return json::string(boost::describe::enum_to_string(e, ""));
}

json::value Strings(const std::vector<std::string>& items) { return json::value_from(items); }

json::object ExportProbe(const core::ProbeSpec& p) {
  json::object probe;
  if (!p.exec_command.empty()) probe["Exec"] = json::object{{"Command", Strings(p.exec_command)}};
  if (p.http_port != 0) {
    probe["HttpGet"] =
        json::object{{"Path", p.http_path}, {"Port", p.http_port}, {"Scheme", p.http_scheme}};
  }
  if (p.tcp_port != 0) probe["TcpSocket"] = json::object{{"Port", p.tcp_port}};
  probe["InitialDelaySeconds"] = p.initial_delay_seconds;
  probe["PeriodSeconds"] = p.period_seconds;
  probe["TimeoutSeconds"] = p.timeout_seconds;
  probe["SuccessThreshold"] = p.success_threshold;
  probe["FailureThreshold"] = p.failure_threshold;
  return probe;
}

json::object ExportSecurityContext(const core::SecurityContextSpec& sc) {
  json::object out;
  if (sc.read_only_root_filesystem) out["ReadOnlyRootFilesystem"] = true;
  if (sc.run_as_user) out["RunAsUser"] = *sc.run_as_user;
  if (!sc.capabilities_add.empty()) {
    out["Capabilities"] = json::object{{"Add", Strings(sc.capabilities_add)}};
  }
  return out;
}

json::array ExportEnv(const std::vector<core::EnvVar>& env) {
  json::array out;
  for (const core::EnvVar& e : env) {
    json::object var{{"Name", e.key}};
    if (!e.value.empty()) var["Value"] = e.value;
    if (!e.field_path.empty()) {
      var["ValueFrom"] = json::object{{"FieldRef", json::object{{"FieldPath", e.field_path}}}};
    }
    out.push_back(std::move(var));
  }
  return out;
}

json::array ExportMounts(const std::vector<core::VolumeMountSpec>& mounts) {
  json::array out;
  for (const core::VolumeMountSpec& m : mounts) {
    json::object mount{{"Name", m.name}, {"MountPath", m.mount_path}, {"ReadOnly", m.read_only}};
    if (!m.sub_path.empty()) mount["SubPath"] = m.sub_path;
    if (!m.mount_propagation.empty()) mount["MountPropagation"] = m.mount_propagation;
    out.push_back(std::move(mount));
  }
  return out;
}

json::object ExportContainer(const core::ContainerSpec& c) {
  json::object out{{"Name", c.name},
                   {"Image", c.image},
                   {"ImagePullPolicy", EnumText(c.pull_policy)},
                   {"Resources", json::object{{"Cpu", c.cpu}, {"Memory", c.memory_gib}}}};
  if (c.gpu != 0) out["Resources"].as_object()["Gpu"] = c.gpu;
  if (!c.working_dir.empty()) out["WorkingDir"] = c.working_dir;
  if (!c.command.empty()) out["Command"] = Strings(c.command);
  if (!c.args.empty()) out["Args"] = Strings(c.args);
  if (!c.env.empty()) out["Env"] = ExportEnv(c.env);
  if (!c.ports.empty()) {
    json::array ports;
    for (const core::PortSpec& p : c.ports) {
      ports.push_back(json::object{{"Protocol", p.protocol}, {"ContainerPort", p.port}});
    }
    out["Ports"] = std::move(ports);
  }
  if (!c.volume_mounts.empty()) out["VolumeMounts"] = ExportMounts(c.volume_mounts);
  if (c.readiness_probe.Configured()) out["ReadinessProbe"] = ExportProbe(c.readiness_probe);
  if (c.liveness_probe.Configured()) out["LivenessProbe"] = ExportProbe(c.liveness_probe);
  json::object security = ExportSecurityContext(c.security_context);
  if (!security.empty()) out["SecurityContext"] = std::move(security);
  if (c.stdin_open) out["Stdin"] = true;
  if (c.stdin_once) out["StdinOnce"] = true;
  if (c.tty) out["Tty"] = true;
  return out;
}

json::object ExportVolume(const core::VolumeSpec& v) {
  json::object out{{"Name", v.name}};
  if (v.type == "NFSVolume") {
    out["Nfs"] = json::object{
        {"Server", v.nfs_server}, {"Path", v.nfs_path}, {"ReadOnly", v.nfs_read_only}};
  } else if (v.type == "EmptyDirVolume") {
    json::object empty_dir;
    if (!v.empty_dir_medium.empty()) empty_dir["Medium"] = v.empty_dir_medium;
    if (!v.empty_dir_size_limit.empty()) empty_dir["SizeLimit"] = v.empty_dir_size_limit;
    out["EmptyDir"] = std::move(empty_dir);
  } else if (v.type == "ConfigFileVolume") {
    json::array items;
    for (const core::ConfigFileSpec& f : v.config_files) {
      json::object item{{"Path", f.path}, {"Content", f.content}};
      if (f.mode) item["Mode"] = *f.mode;
      items.push_back(std::move(item));
    }
    json::object config{{"Items", std::move(items)}};
    if (v.config_file_default_mode) config["DefaultMode"] = *v.config_file_default_mode;
    out["ConfigFile"] = std::move(config);
  }
  return out;
}

json::object ExportDnsConfig(const core::DnsConfigSpec& dns) {
  json::object out;
  if (!dns.name_servers.empty()) out["NameServers"] = Strings(dns.name_servers);
  if (!dns.searches.empty()) out["Searches"] = Strings(dns.searches);
  if (!dns.options.empty()) {
    json::array options;
    for (const core::DnsOption& o : dns.options) {
      options.push_back(json::object{{"Name", o.name}, {"Value", o.value}});
    }
    out["Options"] = std::move(options);
  }
  return out;
}

json::object ExportSpec(const core::ContainerGroupSpec& s) {
  json::object spec{{"RestartPolicy", EnumText(s.restart_policy)}};
  if (!s.dns_policy.empty()) spec["DnsPolicy"] = s.dns_policy;
  json::array containers, init_containers, volumes;
  for (const auto& c : s.containers) containers.push_back(ExportContainer(c));
  for (const auto& c : s.init_containers) init_containers.push_back(ExportContainer(c));
  for (const auto& v : s.volumes) volumes.push_back(ExportVolume(v));
  spec["Containers"] = std::move(containers);
  spec["InitContainers"] = std::move(init_containers);
  spec["Volumes"] = std::move(volumes);
  json::object dns = ExportDnsConfig(s.dns_config);
  if (!dns.empty()) spec["DnsConfig"] = std::move(dns);
  if (!s.host_aliases.empty()) {
    json::array aliases;
    for (const core::HostAlias& a : s.host_aliases) {
      aliases.push_back(json::object{{"Ip", a.ip}, {"Hostnames", Strings(a.hostnames)}});
    }
    spec["HostAliases"] = std::move(aliases);
  }
  if (!s.sysctls.empty()) {
    json::array sysctls;
    for (const core::Sysctl& x : s.sysctls) {
      sysctls.push_back(json::object{{"Name", x.name}, {"Value", x.value}});
    }
    spec["SecurityContext"] = json::object{{"Sysctls", std::move(sysctls)}};
  }
  if (!s.ntp_servers.empty()) spec["NtpServers"] = Strings(s.ntp_servers);
  if (s.termination_grace_period_seconds) {
    spec["TerminationGracePeriodSeconds"] = *s.termination_grace_period_seconds;
  }
  if (s.active_deadline_seconds) spec["ActiveDeadlineSeconds"] = *s.active_deadline_seconds;
  return spec;
}

}  // namespace

Status TemplateFormatError(const std::string& message) {
  return InvalidParameterCode("IncorrectUserTemplateFormat", message);
}

StatusOr<FlatTemplate> FlattenTemplate(std::string_view text) {
  json::parse_options options;
  options.max_depth = 32;
  json::stream_parser parser({}, options);
  boost::system::error_code ec;
  size_t used = parser.write_some(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (!ec && text.substr(used).find_first_not_of(" \t\r\n") != std::string_view::npos) {
    ec = json::error::extra_data;
  }
  if (ec) {
    return TemplateFormatError("The template is not valid JSON: " + ec.message() + " at " +
                               Position(text, used) + " (byte " + std::to_string(used) + ").");
  }
  // The parsed value keeps only the last of equal member names: look at the text for them.
  if (std::optional<std::string> twice = FindDuplicateKey(text, options.max_depth)) {
    return TemplateFormatError("The template key \"" + *twice + "\" is given twice.");
  }
  return Flattener().Run(parser.release());
}

std::string TemplatePathOf(std::string_view flat_key) { return PathIn(TopFields(), flat_key, ""); }

Status InTemplateTerms(const Status& status) {
  // Flat names appear quoted ("Container.1.Name") or in parentheses (Container.1.Name).
  auto is_name = [](std::string_view s) {
    if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
    for (char c : s) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.') return false;
    }
    return true;
  };
  const std::string& message = status.message();
  std::string out;
  size_t i = 0;
  while (i < message.size()) {
    char open = message[i];
    size_t close = std::string::npos;
    if (open == '"' || open == '(') close = message.find(open == '"' ? '"' : ')', i + 1);
    if (close != std::string::npos) {
      std::string_view inner(message.data() + i + 1, close - i - 1);
      std::string path = is_name(inner) ? TemplatePathOf(inner) : "";
      if (!path.empty()) {
        out += open + path + message[close];
        i = close + 1;
        continue;
      }
    }
    out += open;
    ++i;
  }
  return Status(status.cls(), status.api_code(), out);
}

json::object ExportTemplate(const core::ContainerGroup& group) {
  const core::ContainerGroupSpec& s = group.spec;
  json::object t{{"RegionId", s.region_id},
                 {"ZoneId", s.zone_id},
                 {"SecurityGroupId", s.security_group_id},
                 {"VSwitchId", s.vswitch_id},
                 {"ContainerGroupName", s.name},
                 {"Resources", json::object{{"Cpu", s.cpu}, {"Memory", s.memory_gib}}}};
  if (!s.resource_group_id.empty()) t["ResourceGroupId"] = s.resource_group_id;
  if (!s.instance_type.empty()) t["InstanceType"] = s.instance_type;
  if (!s.image_snapshot_id.empty()) t["ImageSnapshotId"] = s.image_snapshot_id;
  if (s.auto_match_image_cache) t["AutoMatchImageCache"] = true;
  json::array tags;
  for (const core::Tag& tag : s.tags) tags.push_back(json::object{{"Key", tag.key}, {"Value", tag.value}});
  t["Tags"] = std::move(tags);
  t["Spec"] = ExportSpec(s);
  return t;
}

}  // namespace openeci::api
