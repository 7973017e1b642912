#include <functional>

#include "api/handlers/handlers.h"
#include "api/handlers/template_params.h"
#include "api/spec_params.h"
#include "core/described_equal.h"

namespace openeci::api {
namespace {

// A template given to UpdateContainerGroupByTemplate may repeat what cannot be updated (an
// exported template carries everything): accepted when equal to the stored value, refused
// otherwise. `read` decodes the key from the template over a copy of the stored spec, which
// must then still equal the stored spec.
struct FixedKey {
  const char* flat;  // the flat key or list prefix whose presence means "given"
  std::function<Status(const Params&, core::ContainerGroupSpec&)> read;
};

std::vector<FixedKey> FixedKeys() {
  auto text = [](const char* key, std::string core::ContainerGroupSpec::*field) {
    return FixedKey{key, [key, field](const Params& p, core::ContainerGroupSpec& s) {
                      s.*field = p.Get(key).value_or("");
                      return Status::Ok();
                    }};
  };
  auto number = [](const char* key, std::optional<int64_t> core::ContainerGroupSpec::*field) {
    return FixedKey{key, [key, field](const Params& p, core::ContainerGroupSpec& s) {
                      ASSIGN_OR_RETURN(s.*field, p.GetInt(key));
                      return Status::Ok();
                    }};
  };
  using S = core::ContainerGroupSpec;
  return {
      text("ContainerGroupName", &S::name),
      text("ZoneId", &S::zone_id),
      text("VSwitchId", &S::vswitch_id),
      text("SecurityGroupId", &S::security_group_id),
      text("InstanceType", &S::instance_type),
      text("DnsPolicy", &S::dns_policy),
      text("ImageSnapshotId", &S::image_snapshot_id),
      number("TerminationGracePeriodSeconds", &S::termination_grace_period_seconds),
      number("ActiveDeadlineSeconds", &S::active_deadline_seconds),
      {"AutoMatchImageCache",
       [](const Params& p, S& s) {
         ASSIGN_OR_RETURN(std::optional<bool> v, p.GetBool("AutoMatchImageCache"));
         s.auto_match_image_cache = v.value_or(false);
         return Status::Ok();
       }},
      {"HostAliase", [](const Params& p, S& s) {
         s.host_aliases = DecodeHostAliases(p);
         return Status::Ok();
       }},
      {"SecurityContext.Sysctl", [](const Params& p, S& s) {
         s.sysctls = DecodeSysctls(p);
         return Status::Ok();
       }},
      {"NtpServer", [](const Params& p, S& s) {
         s.ntp_servers = p.List("NtpServer");
         return Status::Ok();
       }},
  };
}

Status CheckFixedKeysUnchanged(const Params& params, const core::ContainerGroupSpec& current) {
  for (const FixedKey& key : FixedKeys()) {
    if (!params.Has(key.flat) && params.Indices(key.flat).empty()) continue;
    core::ContainerGroupSpec given = current;
    Status read = key.read(params, given);
    if (!read.ok()) return TemplateDecodeError(read);
    if (!core::SameValue(given, current)) {
      return InvalidParameter("The template key \"" + TemplatePathOf(key.flat) +
                              "\" cannot be updated; leave it out or give the container "
                              "group's current value.");
    }
  }
  return Status::Ok();
}

}  // namespace

ActionResult UpdateContainerGroupByTemplate(ApiEnv& env, const RequestContext& ctx,
                                            Params& params) {
  ASSIGN_OR_RETURN(TemplateRequest request, ReadTemplateRequest(env.topology, params));
  Params& template_params = request.params;
  template_params.Consume("RegionId");  // checked by TemplateParams
  StatusOr<std::string> id = template_params.Required("ContainerGroupId");
  if (!id.ok()) return TemplateDecodeError(id.status());
  StatusOr<core::GroupUpdate> update = DecodeGroupUpdate(template_params);
  if (!update.ok()) return TemplateDecodeError(update.status());
  ASSIGN_OR_RETURN(core::ContainerGroup group, env.groups.Get(ctx.caller.account_id, *id));
  RETURN_IF_ERROR(CheckFixedKeysUnchanged(template_params, group.spec));
  RETURN_IF_ERROR(RejectUnreadTemplateKeys(template_params, request.flat));
  Status st = env.groups.Update(ctx.caller.account_id, *id, *update, request.client_token,
                                ctx.fingerprint);
  if (!st.ok()) return InTemplateTerms(st);
  return boost::json::object{};
}

}  // namespace openeci::api
