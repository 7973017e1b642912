// OpsEndpoints: the HTTP answers of the operations paths, for monitoring and orchestration
// rather than for API clients. No authentication: serve them only where the network is trusted
// (OPENECI_OPS_LISTEN puts them on an address of their own; see README "Operations").
//
//   GET /metrics  the registry in the Prometheus text format 0.0.4
//   GET /healthz  200 "ok": the process is alive and serving HTTP
//   GET /readyz   200 "ok" plus one line per dependency when every Readiness probe answers in
//                 time; 503 with the same lines (saying what failed) otherwise
// Other methods answer 405. Thread-safe (the registry and Readiness are).
#pragma once

#include "api/http_server.h"
#include "api/path_router.h"
#include "ops/prometheus.h"
#include "ops/readiness.h"

namespace openeci::ops {

class OpsEndpoints {
 public:
  // Not owned; must outlive this object.
  OpsEndpoints(const MetricRegistry& registry, Readiness& readiness);

  // Adds /metrics, /healthz and /readyz to `router`.
  void AddRoutes(api::PathRouter& router);

  api::HttpResponse Metrics(const api::HttpRequest& request) const;
  api::HttpResponse Healthz(const api::HttpRequest& request) const;
  api::HttpResponse Readyz(const api::HttpRequest& request) const;

 private:
  const MetricRegistry& registry_;
  Readiness& readiness_;
};

// 404 in plain text: what an ops-only listener answers for any other path.
api::HttpResponse OpsNotFound(const api::HttpRequest& request);

}  // namespace openeci::ops
