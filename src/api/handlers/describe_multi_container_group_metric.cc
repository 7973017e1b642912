// DescribeMultiContainerGroupMetric: the latest record of each listed group (reference 8.2).
// ContainerGroupIds is a JSON string array of 1 to 20 IDs (the reference gives no maximum;
// OpenECI uses DescribeContainerGroups' 20); every ID must be one of the caller's groups (and
// in ResourceGroupId when given), else InvalidParameter.NotFound naming it. MetricType accepts
// only "summary", the one type the reference shows. A group with no sample yet (just started)
// answers an empty Records. Duplicated IDs answer once, in first-seen order.
#include <algorithm>

#include "api/handlers/handlers.h"
#include "api/handlers/metric_records.h"
#include "metrics/metrics_sampler.h"

namespace openeci::api {
namespace {

namespace json = boost::json;

constexpr size_t kMaxIds = 20;

}  // namespace

ActionResult DescribeMultiContainerGroupMetric(ApiEnv& env, const RequestContext& ctx,
                                               Params& params) {
  RETURN_IF_ERROR(CheckRegion(env.topology, params));
  RETURN_IF_ERROR(params.Required("ContainerGroupIds").status());
  ASSIGN_OR_RETURN(std::vector<std::string> ids, params.JsonStringArray("ContainerGroupIds"));
  if (ids.empty()) {
    return InvalidParameter("The parameter \"ContainerGroupIds\" must list at least one ID.");
  }
  if (ids.size() > kMaxIds) {
    return InvalidParameterCode("InvalidParameter.LengthExceeded",
                                "The parameter \"ContainerGroupIds\" has more than 20 items.");
  }
  std::string resource_group = params.Get("ResourceGroupId").value_or("");
  if (auto type = params.Get("MetricType"); type && !type->empty() && *type != "summary") {
    return InvalidParameter("The parameter \"MetricType\" must be \"summary\", got \"" + *type +
                            "\".");
  }
  RETURN_IF_ERROR(RejectUnsupported(params));
  if (env.metrics == nullptr) {
    return UnavailableError("Metrics are not collected on this node.");
  }

  json::array datas;
  std::vector<std::string> seen;
  for (const auto& id : ids) {
    if (std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
    seen.push_back(id);
    ASSIGN_OR_RETURN(core::ContainerGroup group, env.groups.Get(ctx.caller.account_id, id));
    if (!resource_group.empty() && group.spec.resource_group_id != resource_group) {
      return NotFoundError("InvalidParameter.NotFound",
                           "The specified ContainerGroupId \"" + id +
                               "\" is not found in ResourceGroupId \"" + resource_group + "\".");
    }
    json::array records;
    if (auto latest = env.metrics->Latest(id)) records.push_back(RenderMetricRecord(*latest, group));
    datas.push_back(json::object{{"ContainerGroupId", id}, {"Records", std::move(records)}});
  }
  json::object out;
  out["MonitorDatas"] = std::move(datas);
  return out;
}

}  // namespace openeci::api
