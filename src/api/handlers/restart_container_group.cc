#include "api/handlers/handlers.h"

namespace openeci::api {

ActionResult RestartContainerGroup(ApiEnv& env, const RequestContext& ctx, Params& params) {
  RETURN_IF_ERROR(CheckRegion(env.topology, params));
  ASSIGN_OR_RETURN(std::string id, params.Required("ContainerGroupId"));
  std::string client_token = params.Get("ClientToken").value_or("");
  RETURN_IF_ERROR(RejectUnsupported(params));
  RETURN_IF_ERROR(
      env.groups.Restart(ctx.caller.account_id, id, client_token, ctx.fingerprint));
  return boost::json::object{};
}

}  // namespace openeci::api
