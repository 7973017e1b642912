#include "ops/server_metrics.h"

#include <boost/describe/enum.hpp>
#include <boost/mp11/algorithm.hpp>
#include <memory>
#include <mutex>

#include "core/lifecycle.h"
#include "ops/process_stats.h"

namespace openeci::ops {
namespace {

const std::vector<double> kRequestBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                             0.5,   1,    2.5,   5,    10};
const std::vector<double> kPullBuckets = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};

constexpr const char* kDeleting = "Deleting";

const char* SourceName(controller::PullSource source) {
  return source == controller::PullSource::kImageCache ? "image_cache" : "container_group";
}

// Every phase at 0, so that a status's series does not vanish when its last group leaves.
std::map<std::string, double> ZeroPerPhase() {
  std::map<std::string, double> counts;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<core::GroupPhase>>(
      [&](auto e) { counts[core::PhaseName(e.value)] = 0; });
  counts[kDeleting] = 0;
  return counts;
}

}  // namespace

std::string BuildVersion() {
#ifdef OPENECI_VERSION
  return OPENECI_VERSION;
#else
  return "unknown";
#endif
}

ServerMetrics::ServerMetrics(MetricRegistry& registry, ServerMetricsSources sources)
    : sources_(std::move(sources)),
      requests_(registry.AddCounter("openeci_api_requests_total",
                                    "API requests answered, by action and HTTP status code.",
                                    {"action", "code"})),
      errors_(registry.AddCounter("openeci_api_errors_total",
                                  "API requests answered with an error, by action and error Code.",
                                  {"action", "error_code"})),
      request_seconds_(registry.AddHistogram("openeci_api_request_duration_seconds",
                                             "Time to answer an API request, by action.",
                                             {"action"}, kRequestBuckets)),
      pulls_(registry.AddCounter(
          "openeci_image_pulls_total",
          "Image pulls, by what asked for them (container_group, image_cache) and result.",
          {"source", "result"})),
      pull_seconds_(registry.AddHistogram("openeci_image_pull_duration_seconds",
                                          "Time an image pull took, by source and result.",
                                          {"source", "result"}, kPullBuckets)) {
  AddScrapeTimeFamilies(registry);
}

void ServerMetrics::OnApiRequest(const std::string& action, int http_status,
                                 const std::string& error_code, double seconds) {
  requests_.Add({action, std::to_string(http_status)});
  if (!error_code.empty()) errors_.Add({action, error_code});
  request_seconds_.Observe({action}, seconds);
}

void ServerMetrics::OnImagePull(controller::PullSource source, bool ok, double seconds) {
  const char* result = ok ? "success" : "failure";
  pulls_.Add({SourceName(source), result});
  pull_seconds_.Observe({SourceName(source), result}, seconds);
}

std::vector<Sample> ServerMetrics::GroupsByStatus() {
  std::vector<Sample> out;
  if (sources_.store == nullptr) return out;
  auto groups = sources_.store->ListAllGroups();
  if (!groups.ok()) return out;  // the store's trouble shows in /readyz
  std::map<std::string, double> counts = ZeroPerPhase();
  for (const auto& g : *groups)
    counts[g.deleting ? kDeleting : core::PhaseName(g.status.phase)] += 1;
  for (const auto& [status, n] : counts) out.push_back({{status}, n});
  return out;
}

void AddQueueDepthMetric(MetricRegistry& registry,
                         std::map<std::string, std::function<size_t()>> depths) {
  registry.AddCallback("openeci_controller_queue_depth",
                       "Keys waiting in a controller's work queue (not counting delayed ones).",
                       "gauge", {"controller"}, [depths = std::move(depths)] {
                         std::vector<Sample> out;
                         for (const auto& [name, depth] : depths) {
                           out.push_back({{name}, static_cast<double>(depth())});
                         }
                         return out;
                       });
}

void ServerMetrics::AddScrapeTimeFamilies(MetricRegistry& registry) {
  registry.AddCallback("openeci_container_groups",
                       "Container groups by status (Deleting: deleted, being torn down).", "gauge",
                       {"status"}, [this] { return GroupsByStatus(); });
  if (sources_.containerd != nullptr) {
    // One probe per scrape feeds both families: the second reads the first one's answer.
    struct LastAnswer {
      std::mutex mu;
      StatusOr<std::string> version = std::string();
    };
    auto last = std::make_shared<LastAnswer>();
    registry.AddCallback(
        "openeci_containerd_up",
        "1 when containerd answered CRI Version within the probe timeout at this scrape.", "gauge",
        {}, [this, last] {
          StatusOr<std::string> v = sources_.containerd->Run();
          std::lock_guard lock(last->mu);
          last->version = v;
          return std::vector<Sample>{{{}, v.ok() ? 1.0 : 0.0}};
        });
    registry.AddCallback("openeci_containerd_info",
                         "The runtime name and version containerd reported (value 1); absent "
                         "while containerd does not answer.",
                         "gauge", {"version"}, [last] {
                           std::vector<Sample> out;
                           std::lock_guard lock(last->mu);
                           if (last->version.ok()) out.push_back({{*last->version}, 1});
                           return out;
                         });
  }
  registry.AddCallback("openeci_build_info", "The OpenECI build (value 1).", "gauge", {"version"},
                       [] {
                         return std::vector<Sample>{{{BuildVersion()}, 1}};
                       });
  AddProcessMetrics(registry);
}

void AddProcessMetrics(MetricRegistry& registry) {
  struct Field {
    const char* name;
    const char* help;
    const char* type;
    double ProcessStats::*value;
  };
  static const Field kFields[] = {
      {"process_resident_memory_bytes", "Resident memory size in bytes.", "gauge",
       &ProcessStats::resident_bytes},
      {"process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge",
       &ProcessStats::virtual_bytes},
      {"process_open_fds", "Number of open file descriptors.", "gauge", &ProcessStats::open_fds},
      {"process_max_fds", "Maximum number of open file descriptors (soft limit).", "gauge",
       &ProcessStats::max_fds},
      {"process_threads", "Number of OS threads.", "gauge", &ProcessStats::threads},
      {"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter",
       &ProcessStats::cpu_seconds},
      {"process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
       "gauge", &ProcessStats::start_time_seconds},
  };
  for (const Field& f : kFields) {
    registry.AddCallback(f.name, f.help, f.type, {}, [member = f.value] {
      return std::vector<Sample>{{{}, ReadProcessStats().*member}};
    });
  }
}

}  // namespace openeci::ops
