// DescribeContainerGroupMetric: a group's records for StartTime..EndTime at Period.
//
// Window rules (reference 8.1), measured with the sampler's clock:
//   * neither StartTime nor EndTime: the last 5 minutes at Period 15 (a given Period is still
//     validated but, as the reference says, does not take effect);
//   * EndTime defaults to now and is capped at now; StartTime defaults to EndTime (the one
//     bucket holding it); the first bucket counts whole, from its aligned start;
//   * StartTime must lie within the last 30 days and not in the future, and not after EndTime;
//   * Period is 15, 30, 60 or 600 (default 60), and the window may span at most 50 Period
//     buckets (the reference's 50-record limit, checked on the window so that the answer does
//     not depend on how much data happens to exist).
// Every violation is InvalidParameter naming the parameter. The reference's split between data
// older and younger than 5 minutes is a storage detail of the cloud; OpenECI keeps one store
// and answers both. Records: see metrics::Aggregate.
#include <chrono>

#include "api/handlers/handlers.h"
#include "api/handlers/metric_records.h"
#include "metrics/metrics_sampler.h"

namespace openeci::api {
namespace {

namespace json = boost::json;
using std::chrono::seconds;

constexpr int64_t kMaxRecords = 50;
constexpr seconds kDefaultWindow{5 * 60};
constexpr seconds kMaxAge{30 * 24 * 3600};

StatusOr<std::optional<TimePoint>> GetTime(const Params& params, const std::string& key) {
  std::optional<std::string> value = params.Get(key);
  if (!value || value->empty()) return std::optional<TimePoint>();
  std::optional<TimePoint> t = ParseRfc3339(*value);
  if (!t) {
    return InvalidParameter("The parameter \"" + key + "\" must be an RFC 3339 time such as " +
                            "2019-03-12T01:00:00.000Z, got \"" + *value + "\".");
  }
  return t;
}

StatusOr<seconds> GetPeriod(const Params& params) {
  std::optional<std::string> value = params.Get("Period");
  if (!value || value->empty()) return seconds(60);
  for (int p : {15, 30, 60, 600}) {
    if (*value == std::to_string(p)) return seconds(p);
  }
  return InvalidParameter("The parameter \"Period\" must be 15, 30, 60 or 600 (seconds), got \"" +
                          *value + "\".");
}

struct Window {
  TimePoint start;
  TimePoint end;
  seconds period;
};

StatusOr<Window> DecodeWindow(const Params& params, TimePoint now) {
  ASSIGN_OR_RETURN(std::optional<TimePoint> start, GetTime(params, "StartTime"));
  ASSIGN_OR_RETURN(std::optional<TimePoint> end, GetTime(params, "EndTime"));
  ASSIGN_OR_RETURN(seconds period, GetPeriod(params));
  if (!start && !end) return Window{now - kDefaultWindow, now, seconds(15)};
  Window w{start.value_or(end.value_or(now)), end.value_or(now), period};
  if (w.start > now) {
    return InvalidParameter("The parameter \"StartTime\" must not be in the future.");
  }
  if (w.start < now - kMaxAge) {
    return InvalidParameter("The parameter \"StartTime\" must be within the last 30 days.");
  }
  if (w.end < w.start) {
    return InvalidParameter("The parameter \"EndTime\" must not be earlier than \"StartTime\".");
  }
  if (w.end > now) w.end = now;
  int64_t buckets = metrics::BucketCount(w.start, w.end, w.period);
  if (buckets > kMaxRecords) {
    return InvalidParameter(
        "The time range from \"StartTime\" to \"EndTime\" spans " + std::to_string(buckets) +
        " records at \"Period\" " + std::to_string(w.period.count()) +
        "; at most 50 records can be returned. Narrow the range or raise Period.");
  }
  return w;
}

}  // namespace

ActionResult DescribeContainerGroupMetric(ApiEnv& env, const RequestContext& ctx,
                                          Params& params) {
  RETURN_IF_ERROR(CheckRegion(env.topology, params));
  ASSIGN_OR_RETURN(std::string group_id, params.Required("ContainerGroupId"));
  if (env.metrics == nullptr) {
    return UnavailableError("Metrics are not collected on this node.");
  }
  ASSIGN_OR_RETURN(Window window, DecodeWindow(params, env.metrics->clock().Now()));
  RETURN_IF_ERROR(RejectUnsupported(params));
  ASSIGN_OR_RETURN(core::ContainerGroup group, env.groups.Get(ctx.caller.account_id, group_id));

  std::vector<metrics::Sample> samples = env.metrics->Samples(
      group_id, metrics::BucketStart(window.start, window.period), window.end);
  json::array records;
  for (const auto& r : metrics::Aggregate(samples, window.start, window.end, window.period)) {
    records.push_back(RenderMetricRecord(r, group));
  }
  json::object out;
  out["ContainerGroupId"] = group_id;
  out["Records"] = std::move(records);
  return out;
}

}  // namespace openeci::api
