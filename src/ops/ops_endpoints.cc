#include "ops/ops_endpoints.h"

#include <optional>
#include <string>

namespace openeci::ops {
namespace {

constexpr const char* kText = "text/plain; charset=utf-8";

api::HttpResponse Text(int status, std::string body) {
  api::HttpResponse r;
  r.status = status;
  r.content_type = kText;
  r.body = std::move(body);
  r.headers["cache-control"] = "no-store";
  return r;
}

// Nullopt when the method may read; otherwise the 405 answer.
std::optional<api::HttpResponse> RefuseWrites(const api::HttpRequest& request) {
  if (request.method == "GET") return std::nullopt;
  api::HttpResponse r = Text(405, "method " + request.method + " not allowed: use GET\n");
  r.headers["allow"] = "GET";
  return r;
}

}  // namespace

OpsEndpoints::OpsEndpoints(const MetricRegistry& registry, Readiness& readiness)
    : registry_(registry), readiness_(readiness) {}

void OpsEndpoints::AddRoutes(api::PathRouter& router) {
  router.Add("/metrics", [this](const api::HttpRequest& r) { return Metrics(r); });
  router.Add("/healthz", [this](const api::HttpRequest& r) { return Healthz(r); });
  router.Add("/readyz", [this](const api::HttpRequest& r) { return Readyz(r); });
}

api::HttpResponse OpsEndpoints::Metrics(const api::HttpRequest& request) const {
  if (auto refusal = RefuseWrites(request)) return *refusal;
  api::HttpResponse r = Text(200, registry_.Render());
  r.content_type = kPrometheusContentType;
  return r;
}

api::HttpResponse OpsEndpoints::Healthz(const api::HttpRequest& request) const {
  if (auto refusal = RefuseWrites(request)) return *refusal;
  return Text(200, "ok\n");
}

api::HttpResponse OpsEndpoints::Readyz(const api::HttpRequest& request) const {
  if (auto refusal = RefuseWrites(request)) return *refusal;
  ReadinessResult result = readiness_.Check();
  if (result.ready) return Text(200, "ok\n" + result.report);
  return Text(503, "not ready\n" + result.report);
}

api::HttpResponse OpsNotFound(const api::HttpRequest& request) {
  return Text(404, "not found: " + std::string(api::PathRouter::PathOf(request.target)) +
                       " (this address serves /metrics, /healthz and /readyz)\n");
}

}  // namespace openeci::ops
