// ServerMetrics: OpenECI's own Prometheus metrics on a MetricRegistry. It is told about API
// requests (api::RequestObserver) and image pulls (controller::PullObserver) as they happen,
// and reads the rest at scrape time: container groups by status from the store, the
// controllers' work-queue depths, containerd health (through a TimedProbe, so a hung
// containerd cannot hang a scrape), this process's resources from /proc/self, build info.
// The metric names are listed in README.md ("Operations").
//
// Thread-safe: the observer methods run on HTTP and controller threads, Render on a scraping
// thread, all concurrently.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "api/request_observer.h"
#include "controller/pull_observer.h"
#include "ops/prometheus.h"
#include "ops/readiness.h"
#include "store/store.h"

namespace openeci::ops {

struct ServerMetricsSources {
  store::Store* store = nullptr;     // groups by status; null: the family is empty
  TimedProbe* containerd = nullptr;  // Version; null: containerd metrics absent
};

// The version this binary was built from (`git describe` at configure time, or "unknown").
std::string BuildVersion();

class ServerMetrics final : public api::RequestObserver, public controller::PullObserver {
 public:
  // Registers every family on `registry` (which must outlive this object, as must the sources).
  ServerMetrics(MetricRegistry& registry, ServerMetricsSources sources);

  // api::RequestObserver
  void OnApiRequest(const std::string& action, int http_status, const std::string& error_code,
                    double seconds) override;
  // controller::PullObserver
  void OnImagePull(controller::PullSource source, bool ok, double seconds) override;

 private:
  void AddScrapeTimeFamilies(MetricRegistry& registry);
  std::vector<Sample> GroupsByStatus();

  ServerMetricsSources sources_;
  CounterFamily& requests_;
  CounterFamily& errors_;
  HistogramFamily& request_seconds_;
  CounterFamily& pulls_;
  HistogramFamily& pull_seconds_;
};

// openeci_controller_queue_depth{controller}: `depths` by controller name ("container_groups",
// "image_caches"), read at scrape time (the functions must be thread-safe and outlive
// `registry`'s use).
void AddQueueDepthMetric(MetricRegistry& registry,
                         std::map<std::string, std::function<size_t()>> depths);

// Process metrics (process_resident_memory_bytes, ...) from /proc/self.
void AddProcessMetrics(MetricRegistry& registry);

}  // namespace openeci::ops
