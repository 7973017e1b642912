#include "api/spec_params.h"

#include <cmath>
#include <limits>

namespace openeci::api {
namespace {

std::string Key(const std::string& prefix, int index, const std::string& field = "") {
  std::string k = prefix + "." + std::to_string(index);
  if (!field.empty()) k += "." + field;
  return k;
}

std::string GetString(const Params& params, const std::string& key) {
  return params.Get(key).value_or("");
}

// A Cpu (cores) or Memory (GiB) amount, rounded to a millionth. Finer amounts mean nothing to
// the runtime, and a value with at most 6 decimals is written and read back by Boost.JSON
// (the store, templates) exactly; a 17-digit one is not always (Boost 1.81 misreads about one
// in ten by a unit in the last place).
StatusOr<std::optional<double>> GetAmount(const Params& params, const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<double> v, params.GetDouble(key));
  if (v && std::isfinite(*v) && std::fabs(*v) < 1e9) *v = std::round(*v * 1e6) / 1e6;
  return v;
}

// GetAmount into `out`; absent leaves `out` as it is.
Status GetAmount(const Params& params, const std::string& key, double* out) {
  ASSIGN_OR_RETURN(std::optional<double> v, GetAmount(params, key));
  if (v) *out = *v;
  return Status::Ok();
}

// An integer parameter that must fit an int; absent leaves `out` as it is.
Status GetInt(const Params& params, const std::string& key, int* out) {
  ASSIGN_OR_RETURN(std::optional<int64_t> v, params.GetInt(key));
  if (!v) return Status::Ok();
  if (*v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max()) {
    return InvalidParameter("The parameter \"" + key + "\" is out of range.");
  }
  *out = static_cast<int>(*v);
  return Status::Ok();
}

Status GetOptionalInt(const Params& params, const std::string& key, std::optional<int>* out) {
  if (!params.Has(key)) return Status::Ok();
  int v = 0;
  RETURN_IF_ERROR(GetInt(params, key, &v));
  *out = v;
  return Status::Ok();
}

Status GetBool(const Params& params, const std::string& key, bool* out) {
  ASSIGN_OR_RETURN(std::optional<bool> v, params.GetBool(key));
  if (v) *out = *v;
  return Status::Ok();
}

StatusOr<core::ProbeSpec> DecodeProbe(const Params& params, const std::string& p) {
  core::ProbeSpec probe;
  probe.exec_command = params.List(p + ".Exec.Command");
  probe.http_path = GetString(params, p + ".HttpGet.Path");
  RETURN_IF_ERROR(GetInt(params, p + ".HttpGet.Port", &probe.http_port));
  if (auto scheme = params.Get(p + ".HttpGet.Scheme")) probe.http_scheme = *scheme;
  RETURN_IF_ERROR(GetInt(params, p + ".TcpSocket.Port", &probe.tcp_port));
  RETURN_IF_ERROR(GetInt(params, p + ".InitialDelaySeconds", &probe.initial_delay_seconds));
  RETURN_IF_ERROR(GetInt(params, p + ".PeriodSeconds", &probe.period_seconds));
  RETURN_IF_ERROR(GetInt(params, p + ".TimeoutSeconds", &probe.timeout_seconds));
  RETURN_IF_ERROR(GetInt(params, p + ".SuccessThreshold", &probe.success_threshold));
  RETURN_IF_ERROR(GetInt(params, p + ".FailureThreshold", &probe.failure_threshold));
  return probe;
}

StatusOr<core::SecurityContextSpec> DecodeSecurityContext(const Params& params,
                                                          const std::string& p) {
  core::SecurityContextSpec sc;
  ASSIGN_OR_RETURN(sc.run_as_user, params.GetInt(p + ".RunAsUser"));
  RETURN_IF_ERROR(GetBool(params, p + ".ReadOnlyRootFilesystem", &sc.read_only_root_filesystem));
  sc.capabilities_add = params.List(p + ".Capability.Add");
  return sc;
}

StatusOr<std::vector<core::VolumeMountSpec>> DecodeVolumeMounts(const Params& params,
                                                                const std::string& p) {
  std::vector<core::VolumeMountSpec> mounts;
  for (int i : params.Indices(p + ".VolumeMount")) {
    std::string mp = Key(p + ".VolumeMount", i);
    core::VolumeMountSpec m;
    m.name = GetString(params, mp + ".Name");
    m.mount_path = GetString(params, mp + ".MountPath");
    m.sub_path = GetString(params, mp + ".SubPath");
    RETURN_IF_ERROR(GetBool(params, mp + ".ReadOnly", &m.read_only));
    m.mount_propagation = GetString(params, mp + ".MountPropagation");
    mounts.push_back(std::move(m));
  }
  return mounts;
}

// The files of a ConfigFileVolume. The API reference names the list both ConfigFileToPath (the
// parameter table, the SDK) and ConfigFilePath (its example); both are accepted.
StatusOr<std::vector<core::ConfigFileSpec>> DecodeConfigFiles(const Params& params,
                                                              const std::string& p) {
  std::vector<core::ConfigFileSpec> files;
  for (const char* list : {".ConfigFileVolume.ConfigFileToPath", ".ConfigFileVolume.ConfigFilePath"}) {
    for (int i : params.Indices(p + list)) {
      std::string fp = Key(p + list, i);
      core::ConfigFileSpec f;
      f.path = GetString(params, fp + ".Path");
      f.content = GetString(params, fp + ".Content");
      RETURN_IF_ERROR(GetOptionalInt(params, fp + ".Mode", &f.mode));
      files.push_back(std::move(f));
    }
  }
  return files;
}

// Which volume type the keys under `p` describe, for a Volume.N without Type.
std::string InferVolumeType(const Params& params, const std::string& p) {
  for (const char* type : {"EmptyDirVolume", "ConfigFileVolume", "NFSVolume", "DiskVolume",
                           "FlexVolume", "HostPathVolume"}) {
    if (!params.Indices(p + "." + type).empty()) return type;
    for (const char* field : {"Medium", "SizeLimit", "DefaultMode", "Server", "Path", "ReadOnly",
                              "DiskId", "DiskSize", "FsType", "Driver", "Options", "Type"}) {
      if (params.Has(p + "." + type + "." + field)) return type;
    }
  }
  return "";
}

StatusOr<core::VolumeSpec> DecodeVolume(const Params& params, const std::string& p) {
  core::VolumeSpec v;
  v.name = GetString(params, p + ".Name");
  v.type = params.Get(p + ".Type").value_or(InferVolumeType(params, p));
  v.empty_dir_medium = GetString(params, p + ".EmptyDirVolume.Medium");
  v.empty_dir_size_limit = GetString(params, p + ".EmptyDirVolume.SizeLimit");
  ASSIGN_OR_RETURN(v.config_files, DecodeConfigFiles(params, p));
  RETURN_IF_ERROR(
      GetOptionalInt(params, p + ".ConfigFileVolume.DefaultMode", &v.config_file_default_mode));
  v.nfs_server = GetString(params, p + ".NFSVolume.Server");
  v.nfs_path = GetString(params, p + ".NFSVolume.Path");
  RETURN_IF_ERROR(GetBool(params, p + ".NFSVolume.ReadOnly", &v.nfs_read_only));
  // Cloud-disk volumes are refused by validation; their keys are read here so that the refusal
  // names the volume type instead of an unsupported key.
  for (const char* key : {".DiskVolume.DiskId", ".DiskVolume.DiskSize", ".DiskVolume.FsType",
                          ".FlexVolume.Driver", ".FlexVolume.FsType", ".FlexVolume.Options",
                          ".HostPathVolume.Path", ".HostPathVolume.Type"}) {
    params.Consume(p + key);
  }
  return v;
}

}  // namespace

StatusOr<core::ContainerSpec> DecodeContainer(const Params& params, const std::string& p) {
  core::ContainerSpec c;
  c.name = GetString(params, p + ".Name");
  c.image = GetString(params, p + ".Image");
  RETURN_IF_ERROR(GetAmount(params, p + ".Cpu", &c.cpu));
  RETURN_IF_ERROR(GetAmount(params, p + ".Memory", &c.memory_gib));
  c.working_dir = GetString(params, p + ".WorkingDir");
  RETURN_IF_ERROR(
      GetEnum(params, p + ".ImagePullPolicy", "Always, IfNotPresent, Never", &c.pull_policy));
  c.command = params.List(p + ".Command");
  c.args = params.List(p + ".Arg");
  for (int i : params.Indices(p + ".EnvironmentVar")) {
    core::EnvVar e;
    e.key = GetString(params, Key(p + ".EnvironmentVar", i, "Key"));
    e.value = GetString(params, Key(p + ".EnvironmentVar", i, "Value"));
    e.field_path = GetString(params, Key(p + ".EnvironmentVar", i, "FieldRef.FieldPath"));
    c.env.push_back(std::move(e));
  }
  for (int i : params.Indices(p + ".Port")) {
    core::PortSpec port;
    RETURN_IF_ERROR(GetInt(params, Key(p + ".Port", i, "Port"), &port.port));
    port.protocol = params.Get(Key(p + ".Port", i, "Protocol")).value_or("TCP");
    c.ports.push_back(port);
  }
  ASSIGN_OR_RETURN(c.volume_mounts, DecodeVolumeMounts(params, p));
  ASSIGN_OR_RETURN(c.liveness_probe, DecodeProbe(params, p + ".LivenessProbe"));
  ASSIGN_OR_RETURN(c.readiness_probe, DecodeProbe(params, p + ".ReadinessProbe"));
  ASSIGN_OR_RETURN(c.security_context, DecodeSecurityContext(params, p + ".SecurityContext"));
  RETURN_IF_ERROR(GetBool(params, p + ".Stdin", &c.stdin_open));
  RETURN_IF_ERROR(GetBool(params, p + ".StdinOnce", &c.stdin_once));
  RETURN_IF_ERROR(GetBool(params, p + ".Tty", &c.tty));
  RETURN_IF_ERROR(GetInt(params, p + ".Gpu", &c.gpu));
  return c;
}

StatusOr<std::vector<core::ContainerSpec>> DecodeContainers(const Params& params,
                                                            const std::string& list) {
  std::vector<core::ContainerSpec> containers;
  for (int i : params.Indices(list)) {
    ASSIGN_OR_RETURN(core::ContainerSpec c, DecodeContainer(params, Key(list, i)));
    containers.push_back(std::move(c));
  }
  return containers;
}

StatusOr<std::vector<core::VolumeSpec>> DecodeVolumes(const Params& params) {
  std::vector<core::VolumeSpec> volumes;
  for (int i : params.Indices("Volume")) {
    ASSIGN_OR_RETURN(core::VolumeSpec v, DecodeVolume(params, Key("Volume", i)));
    volumes.push_back(std::move(v));
  }
  return volumes;
}

std::vector<core::Tag> DecodeTags(const Params& params) {
  std::vector<core::Tag> tags;
  for (int i : params.Indices("Tag")) {
    tags.push_back({GetString(params, Key("Tag", i, "Key")),
                    GetString(params, Key("Tag", i, "Value"))});
  }
  return tags;
}

std::vector<core::RegistryCredential> DecodeCredentials(const Params& params) {
  std::vector<core::RegistryCredential> credentials;
  for (int i : params.Indices("ImageRegistryCredential")) {
    credentials.push_back({GetString(params, Key("ImageRegistryCredential", i, "Server")),
                           GetString(params, Key("ImageRegistryCredential", i, "UserName")),
                           GetString(params, Key("ImageRegistryCredential", i, "Password"))});
  }
  return credentials;
}

core::DnsConfigSpec DecodeDnsConfig(const Params& params) {
  core::DnsConfigSpec dns;
  dns.name_servers = params.List("DnsConfig.NameServer");
  dns.searches = params.List("DnsConfig.Search");
  for (int i : params.Indices("DnsConfig.Option")) {
    dns.options.push_back({GetString(params, Key("DnsConfig.Option", i, "Name")),
                           GetString(params, Key("DnsConfig.Option", i, "Value"))});
  }
  return dns;
}

std::vector<core::HostAlias> DecodeHostAliases(const Params& params) {
  std::vector<core::HostAlias> aliases;
  for (int i : params.Indices("HostAliase")) {
    aliases.push_back({GetString(params, Key("HostAliase", i, "Ip")),
                       params.List(Key("HostAliase", i, "Hostname"))});
  }
  return aliases;
}

std::vector<core::Sysctl> DecodeSysctls(const Params& params) {
  std::vector<core::Sysctl> sysctls;
  for (int i : params.Indices("SecurityContext.Sysctl")) {
    sysctls.push_back({GetString(params, Key("SecurityContext.Sysctl", i, "Name")),
                       GetString(params, Key("SecurityContext.Sysctl", i, "Value"))});
  }
  return sysctls;
}

StatusOr<core::ContainerGroupSpec> DecodeGroupSpec(const Params& params) {
  core::ContainerGroupSpec spec;
  ASSIGN_OR_RETURN(spec.region_id, params.Required("RegionId"));
  ASSIGN_OR_RETURN(spec.name, params.Required("ContainerGroupName"));
  spec.zone_id = GetString(params, "ZoneId");
  spec.vswitch_id = GetString(params, "VSwitchId");
  spec.security_group_id = GetString(params, "SecurityGroupId");
  spec.resource_group_id = GetString(params, "ResourceGroupId");
  spec.instance_type = GetString(params, "InstanceType");
  RETURN_IF_ERROR(
      GetEnum(params, "RestartPolicy", "Always, OnFailure, Never", &spec.restart_policy));
  RETURN_IF_ERROR(GetAmount(params, "Cpu", &spec.cpu));
  RETURN_IF_ERROR(GetAmount(params, "Memory", &spec.memory_gib));
  spec.tags = DecodeTags(params);
  spec.credentials = DecodeCredentials(params);
  ASSIGN_OR_RETURN(spec.containers, DecodeContainers(params, "Container"));
  ASSIGN_OR_RETURN(spec.init_containers, DecodeContainers(params, "InitContainer"));
  ASSIGN_OR_RETURN(spec.volumes, DecodeVolumes(params));
  spec.image_snapshot_id = GetString(params, "ImageSnapshotId");
  RETURN_IF_ERROR(GetBool(params, "AutoMatchImageCache", &spec.auto_match_image_cache));
  spec.dns_config = DecodeDnsConfig(params);
  spec.dns_policy = GetString(params, "DnsPolicy");
  spec.host_aliases = DecodeHostAliases(params);
  spec.sysctls = DecodeSysctls(params);
  spec.ntp_servers = params.List("NtpServer");
  ASSIGN_OR_RETURN(spec.termination_grace_period_seconds,
                   params.GetInt("TerminationGracePeriodSeconds"));
  ASSIGN_OR_RETURN(spec.active_deadline_seconds, params.GetInt("ActiveDeadlineSeconds"));
  return spec;
}

StatusOr<core::GroupUpdate> DecodeGroupUpdate(const Params& params) {
  core::GroupUpdate update;
  if (auto type = params.Get("UpdateType"); type && *type != "RenewUpdate") {
    return InvalidParameter("The parameter \"UpdateType\" must be RenewUpdate (a full update of "
                            "each given part); IncrementalUpdate is not supported by this "
                            "OpenECI node, got \"" + *type + "\".");
  }
  if (params.Has("RestartPolicy")) {
    core::RestartPolicy policy = core::RestartPolicy::Always;
    RETURN_IF_ERROR(GetEnum(params, "RestartPolicy", "Always, OnFailure, Never", &policy));
    update.restart_policy = policy;
  }
  if (!params.Indices("Tag").empty()) update.tags = DecodeTags(params);
  if (!params.Indices("Volume").empty()) {
    ASSIGN_OR_RETURN(update.volumes, DecodeVolumes(params));
  }
  if (!params.Indices("DnsConfig.NameServer").empty() ||
      !params.Indices("DnsConfig.Search").empty() || !params.Indices("DnsConfig.Option").empty()) {
    update.dns_config = DecodeDnsConfig(params);
  }
  if (!params.Indices("Container").empty()) {
    ASSIGN_OR_RETURN(update.containers, DecodeContainers(params, "Container"));
  }
  if (!params.Indices("InitContainer").empty()) {
    ASSIGN_OR_RETURN(update.init_containers, DecodeContainers(params, "InitContainer"));
  }
  if (!params.Indices("ImageRegistryCredential").empty()) {
    update.credentials = DecodeCredentials(params);
  }
  if (auto group = params.Get("ResourceGroupId")) update.resource_group_id = *group;
  ASSIGN_OR_RETURN(update.cpu, GetAmount(params, "Cpu"));
  ASSIGN_OR_RETURN(update.memory_gib, GetAmount(params, "Memory"));
  return update;
}

}  // namespace openeci::api
