#include <algorithm>
#include <chrono>

#include "api/handlers/handlers.h"
#include "logs/log_reader.h"

namespace openeci::api {
namespace {

constexpr int64_t kDefaultTail = 500;
constexpr int64_t kMaxTail = 2000;

Status ContainerNotFound(const std::string& name) {
  return NotFoundError("InvalidParameter.NotFound",
                       "The specified ContainerName \"" + name + "\" is not found.");
}

// Tail, SinceSeconds, StartTime and LimitBytes as the reader's options.
StatusOr<logs::LogReadOptions> ReadOptions(const Params& params, const Clock& clock) {
  logs::LogReadOptions options;
  ASSIGN_OR_RETURN(std::optional<int64_t> tail, params.GetInt("Tail"));
  if (tail && (*tail < 1 || *tail > kMaxTail)) {
    return InvalidParameter("The parameter \"Tail\" must be between 1 and 2000.");
  }
  options.tail = static_cast<size_t>(tail.value_or(kDefaultTail));
  ASSIGN_OR_RETURN(std::optional<int64_t> since_seconds, params.GetInt("SinceSeconds"));
  std::optional<std::string> start_time = params.Get("StartTime");
  if (since_seconds && start_time) {
    return InvalidParameter(
        "The parameters \"SinceSeconds\" and \"StartTime\" cannot be specified together.");
  }
  if (since_seconds) {
    if (*since_seconds <= 0) {
      return InvalidParameter("The parameter \"SinceSeconds\" must be a positive integer.");
    }
    // Back beyond the epoch (also where now - SinceSeconds would not fit a time point): all.
    const TimePoint now = clock.Now();
    const std::chrono::seconds back(*since_seconds);
    options.since = back >= std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch())
                        ? TimePoint()
                        : now - back;
  }
  if (start_time) {
    options.since = ParseRfc3339(*start_time);
    if (!options.since) {
      return InvalidParameter("The parameter \"StartTime\" must be an RFC 3339 time in UTC, e.g. "
                              "2018-08-02T15:00:00Z.");
    }
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> limit_bytes, params.GetInt("LimitBytes"));
  if (limit_bytes) {
    if (*limit_bytes <= 0) {
      return InvalidParameter("The parameter \"LimitBytes\" must be a positive integer.");
    }
    options.limit_bytes =
        static_cast<size_t>(std::min<int64_t>(*limit_bytes, logs::kMaxLogBytes));
  }
  return options;
}

}  // namespace

ActionResult DescribeContainerLog(ApiEnv& env, const RequestContext& ctx, Params& params) {
  RETURN_IF_ERROR(CheckRegion(env.topology, params));
  ASSIGN_OR_RETURN(std::string group_id, params.Required("ContainerGroupId"));
  ASSIGN_OR_RETURN(std::string name, params.Required("ContainerName"));
  if (env.clock == nullptr || env.log_root.empty()) {
    return UnavailableError("DescribeContainerLog is not available on this node.");
  }
  ASSIGN_OR_RETURN(logs::LogReadOptions options, ReadOptions(params, *env.clock));
  ASSIGN_OR_RETURN(std::optional<bool> last_time, params.GetBool("LastTime"));
  ASSIGN_OR_RETURN(std::optional<bool> timestamps, params.GetBool("Timestamps"));
  options.timestamps = timestamps.value_or(false);
  RETURN_IF_ERROR(RejectUnsupported(params));

  ASSIGN_OR_RETURN(core::ContainerGroup group, env.groups.Get(ctx.caller.account_id, group_id));
  auto named = [&](const auto& c) { return c.name == name; };
  const auto& specs = group.spec.containers;
  const auto& inits = group.spec.init_containers;
  if (std::none_of(specs.begin(), specs.end(), named) &&
      std::none_of(inits.begin(), inits.end(), named)) {
    return ContainerNotFound(name);
  }
  int attempt = 0;
  for (const auto* list : {&group.status.containers, &group.status.init_containers}) {
    for (const core::ContainerStatus& cs : *list) {
      if (cs.name == name) attempt = cs.restart_count;
    }
  }
  if (last_time.value_or(false)) attempt -= 1;
  std::string content;
  if (attempt >= 0) {
    // The controller's layout: <log_root>/<group>/<generation>/<container>/<attempt>.log.
    std::string path = env.log_root + "/" + group.id + "/" +
                       std::to_string(group.status.observed_generation) + "/" + name + "/" +
                       std::to_string(attempt) + ".log";
    ASSIGN_OR_RETURN(content, logs::ReadContainerLog(path, options));
  }
  return boost::json::object{{"ContainerName", name}, {"Content", content}};
}

}  // namespace openeci::api
