#include "api/handlers/handlers.h"
#include "api/template_codec.h"

namespace openeci::api {

ActionResult ExportContainerGroupTemplate(ApiEnv& env, const RequestContext& ctx,
                                          Params& params) {
  RETURN_IF_ERROR(CheckRegion(env.topology, params));
  ASSIGN_OR_RETURN(std::string id, params.Required("ContainerGroupId"));
  RETURN_IF_ERROR(RejectUnsupported(params));
  ASSIGN_OR_RETURN(core::ContainerGroup group, env.groups.Get(ctx.caller.account_id, id));
  boost::json::object out;
  out["Template"] = ExportTemplate(group);
  return out;
}

}  // namespace openeci::api
