#include "api/handlers/handlers.h"

namespace openeci::api {

ActionResult DeleteContainerGroup(ApiEnv& env, const RequestContext& ctx, Params& params) {
  RETURN_IF_ERROR(CheckRegion(env.topology, params));
  ASSIGN_OR_RETURN(std::string id, params.Required("ContainerGroupId"));
  RETURN_IF_ERROR(CheckIdempotentClientToken(params));
  RETURN_IF_ERROR(RejectUnsupported(params));
  RETURN_IF_ERROR(env.groups.Delete(ctx.caller.account_id, id));
  return boost::json::object{};
}

}  // namespace openeci::api
