#include <boost/describe/enum_from_string.hpp>

#include "api/handlers/handlers.h"

namespace openeci::api {
namespace {

std::string Key(const std::string& prefix, int index, const std::string& field = "") {
  std::string k = prefix + "." + std::to_string(index);
  if (!field.empty()) k += "." + field;
  return k;
}

// Reads an enum parameter by its wire name (e.g. "OnFailure"), naming the valid values.
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

Status GetDouble(const Params& params, const std::string& key, double* out) {
  ASSIGN_OR_RETURN(std::optional<double> v, params.GetDouble(key));
  if (v) *out = *v;
  return Status::Ok();
}

StatusOr<core::ContainerSpec> DecodeContainer(const Params& params, const std::string& p) {
  core::ContainerSpec c;
  c.name = params.Get(p + ".Name").value_or("");
  c.image = params.Get(p + ".Image").value_or("");
  RETURN_IF_ERROR(GetDouble(params, p + ".Cpu", &c.cpu));
  RETURN_IF_ERROR(GetDouble(params, p + ".Memory", &c.memory_gib));
  c.working_dir = params.Get(p + ".WorkingDir").value_or("");
  RETURN_IF_ERROR(
      GetEnum(params, p + ".ImagePullPolicy", "Always, IfNotPresent, Never", &c.pull_policy));
  c.command = params.List(p + ".Command");
  c.args = params.List(p + ".Arg");
  for (int i : params.Indices(p + ".EnvironmentVar")) {
    core::EnvVar e;
    e.key = params.Get(Key(p + ".EnvironmentVar", i, "Key")).value_or("");
    e.value = params.Get(Key(p + ".EnvironmentVar", i, "Value")).value_or("");
    e.field_path = params.Get(Key(p + ".EnvironmentVar", i, "FieldRef.FieldPath")).value_or("");
    c.env.push_back(std::move(e));
  }
  for (int i : params.Indices(p + ".Port")) {
    core::PortSpec port;
    ASSIGN_OR_RETURN(std::optional<int64_t> number, params.GetInt(Key(p + ".Port", i, "Port")));
    port.port = static_cast<int>(number.value_or(0));
    port.protocol = params.Get(Key(p + ".Port", i, "Protocol")).value_or("TCP");
    c.ports.push_back(port);
  }
  return c;
}

StatusOr<core::ContainerGroupSpec> DecodeSpec(const Params& params) {
  core::ContainerGroupSpec spec;
  ASSIGN_OR_RETURN(spec.region_id, params.Required("RegionId"));
  ASSIGN_OR_RETURN(spec.name, params.Required("ContainerGroupName"));
  spec.zone_id = params.Get("ZoneId").value_or("");
  spec.vswitch_id = params.Get("VSwitchId").value_or("");
  spec.security_group_id = params.Get("SecurityGroupId").value_or("");
  spec.resource_group_id = params.Get("ResourceGroupId").value_or("");
  spec.instance_type = params.Get("InstanceType").value_or("");
  RETURN_IF_ERROR(
      GetEnum(params, "RestartPolicy", "Always, OnFailure, Never", &spec.restart_policy));
  RETURN_IF_ERROR(GetDouble(params, "Cpu", &spec.cpu));
  RETURN_IF_ERROR(GetDouble(params, "Memory", &spec.memory_gib));
  for (int i : params.Indices("Tag")) {
    spec.tags.push_back({params.Get(Key("Tag", i, "Key")).value_or(""),
                         params.Get(Key("Tag", i, "Value")).value_or("")});
  }
  for (int i : params.Indices("ImageRegistryCredential")) {
    spec.credentials.push_back(
        {params.Get(Key("ImageRegistryCredential", i, "Server")).value_or(""),
         params.Get(Key("ImageRegistryCredential", i, "UserName")).value_or(""),
         params.Get(Key("ImageRegistryCredential", i, "Password")).value_or("")});
  }
  for (int i : params.Indices("Container")) {
    ASSIGN_OR_RETURN(core::ContainerSpec c, DecodeContainer(params, Key("Container", i)));
    spec.containers.push_back(std::move(c));
  }
  spec.image_snapshot_id = params.Get("ImageSnapshotId").value_or("");
  ASSIGN_OR_RETURN(std::optional<bool> auto_match, params.GetBool("AutoMatchImageCache"));
  spec.auto_match_image_cache = auto_match.value_or(false);
  return spec;
}

}  // namespace

ActionResult CreateContainerGroup(ApiEnv& env, const RequestContext& ctx, Params& params) {
  ASSIGN_OR_RETURN(core::ContainerGroupSpec spec, DecodeSpec(params));
  std::string client_token = params.Get("ClientToken").value_or("");
  ASSIGN_OR_RETURN(std::optional<bool> dry_run, params.GetBool("DryRun"));
  RETURN_IF_ERROR(RejectUnsupported(params));
  if (!spec.image_snapshot_id.empty() || spec.auto_match_image_cache) {
    if (env.image_caches == nullptr) {
      return InvalidParameter("The parameters \"ImageSnapshotId\" and \"AutoMatchImageCache\" "
                              "need image caches, which this OpenECI node does not enable.");
    }
    if (!spec.image_snapshot_id.empty()) {
      RETURN_IF_ERROR(
          env.image_caches->CheckUsable(ctx.caller.account_id, spec.image_snapshot_id));
    }
  }
  if (dry_run.value_or(false)) {
    RETURN_IF_ERROR(env.groups.Check(spec));
    return Status(StatusClass::kInvalidArgument, "DryRunOperation",
                  "Request validation has been passed with DryRun flag set.");
  }
  ASSIGN_OR_RETURN(std::string id, env.groups.Create(ctx.caller.account_id, std::move(spec),
                                                     client_token, ctx.fingerprint));
  boost::json::object out;
  out["ContainerGroupId"] = id;
  return out;
}

}  // namespace openeci::api
