#include "api/handlers/handlers.h"
#include "api/handlers/template_params.h"
#include "api/spec_params.h"

namespace openeci::api {

ActionResult CreateContainerGroupFromTemplate(ApiEnv& env, const RequestContext& ctx,
                                              Params& params) {
  ASSIGN_OR_RETURN(TemplateRequest request, ReadTemplateRequest(env.topology, params));
  Params& template_params = request.params;
  StatusOr<core::ContainerGroupSpec> spec = DecodeGroupSpec(template_params);
  if (!spec.ok()) return TemplateDecodeError(spec.status());
  RETURN_IF_ERROR(RejectUnreadTemplateKeys(template_params, request.flat));
  RETURN_IF_ERROR(CheckImageCacheUse(env, ctx, *spec));
  StatusOr<std::string> id = env.groups.Create(ctx.caller.account_id, std::move(spec).value(),
                                               request.client_token, ctx.fingerprint);
  if (!id.ok()) return InTemplateTerms(id.status());
  boost::json::object out;
  out["ContainerGroupId"] = *id;
  return out;
}

}  // namespace openeci::api
