#include "api/handlers/handlers.h"

namespace openeci::api {

ActionResult DescribeRegions(ApiEnv& env, const RequestContext& ctx, Params& params) {
  params.Get("RegionId");  // accepted and ignored: every region this node serves is listed
  RETURN_IF_ERROR(RejectUnsupported(params));
  boost::json::array zones;
  for (const std::string& z : env.topology.zones) zones.emplace_back(z);
  boost::json::object region;
  region["RegionId"] = env.topology.region_id;
  region["RegionEndpoint"] = env.topology.endpoint;
  region["Zones"] = zones;
  region["RecommendZones"] = zones;
  boost::json::object out;
  out["Regions"] = boost::json::array{region};
  return out;
}

}  // namespace openeci::api
