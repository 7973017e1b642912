// One function per API action, each in its own file under handlers/: decode the parameters,
// call the core, build the answer. They run on the HTTP threads concurrently and keep no
// state of their own.
#pragma once

#include <boost/json.hpp>
#include <string>

#include "api/exec_sessions.h"
#include "api/params.h"
#include "api/request_observer.h"
#include "api/throttle.h"
#include "common/clock.h"
#include "common/status.h"
#include "core/container_group_service.h"
#include "core/image_cache_service.h"
#include "core/model.h"
#include "core/topology.h"
#include "runtime/runtime.h"

namespace openeci::metrics {
class MetricsSampler;
}  // namespace openeci::metrics

namespace openeci::api {

// What handlers may use; owned by the server.
struct ApiEnv {
  core::ContainerGroupService& groups;
  const core::Topology& topology;
  // ExecContainerCommand: the runtime, the one-time exec tokens and the host:port clients reach
  // this server at (WebSocketUri). Null when not wired (then the action answers unavailable).
  runtime::Runtime* runtime = nullptr;
  ExecSessionRegistry* exec_sessions = nullptr;
  std::string public_endpoint;
  bool tls = false;  // the API is served over HTTPS: exec URIs are wss:// and https://
  // DescribeContainerGroupMetric, DescribeMultiContainerGroupMetric: the sampler and its rings.
  // Null when not wired (then both actions answer unavailable).
  metrics::MetricsSampler* metrics = nullptr;
  // DescribeContainerLog: the controller's log root (<state>/logs) and the clock SinceSeconds
  // counts back from. Empty / null when not wired (then the action answers unavailable).
  std::string log_root;
  const Clock* clock = nullptr;
  // Create/Describe/DeleteImageCache and ImageSnapshotId checks. Null when not wired (then
  // the image-cache actions answer unavailable).
  core::ImageCacheService* image_caches = nullptr;
  // Told about every answered request (operations metrics). Null: nobody is told.
  RequestObserver* request_observer = nullptr;
  // Per-account rate limits, checked after authentication. Null: no throttling.
  Throttle* throttle = nullptr;
};

struct RequestContext {
  std::string request_id;
  std::string action;
  core::AccessKey caller;
  // SHA-256 over the request's business parameters: equal requests, equal fingerprints
  // (ClientToken idempotency).
  std::string fingerprint;
};

using ActionResult = StatusOr<boost::json::object>;
using ActionFn = ActionResult (*)(ApiEnv&, const RequestContext&, Params&);

ActionResult DescribeRegions(ApiEnv& env, const RequestContext& ctx, Params& params);
ActionResult CreateContainerGroup(ApiEnv& env, const RequestContext& ctx, Params& params);
ActionResult DescribeContainerGroups(ApiEnv& env, const RequestContext& ctx, Params& params);
ActionResult DeleteContainerGroup(ApiEnv& env, const RequestContext& ctx, Params& params);
ActionResult RestartContainerGroup(ApiEnv& env, const RequestContext& ctx, Params& params);
ActionResult CreateImageCache(ApiEnv& env, const RequestContext& ctx, Params& params);
ActionResult DescribeImageCaches(ApiEnv& env, const RequestContext& ctx, Params& params);
ActionResult DeleteImageCache(ApiEnv& env, const RequestContext& ctx, Params& params);
ActionResult DescribeContainerLog(ApiEnv& env, const RequestContext& ctx, Params& params);
ActionResult ExecContainerCommand(ApiEnv& env, const RequestContext& ctx, Params& params);
ActionResult DescribeContainerGroupMetric(ApiEnv& env, const RequestContext& ctx, Params& params);
ActionResult DescribeMultiContainerGroupMetric(ApiEnv& env, const RequestContext& ctx,
                                               Params& params);
ActionResult UpdateContainerGroup(ApiEnv& env, const RequestContext& ctx, Params& params);
ActionResult CreateContainerGroupFromTemplate(ApiEnv& env, const RequestContext& ctx,
                                              Params& params);
ActionResult UpdateContainerGroupByTemplate(ApiEnv& env, const RequestContext& ctx,
                                            Params& params);
ActionResult ExportContainerGroupTemplate(ApiEnv& env, const RequestContext& ctx, Params& params);

// Helpers shared by the handlers (handlers/common.cc).

// Refuses every parameter the handler did not read: OpenECI never ignores a parameter silently.
Status RejectUnsupported(const Params& params);
// The page size of a Describe* call: `Limit`, 1 to 20, default 20.
StatusOr<int> PageLimit(const Params& params);
// ClientToken of an action idempotent by nature (deletion, restart): not remembered, but held
// to the reference's rule (ASCII, at most 64 characters) like every other ClientToken.
Status CheckIdempotentClientToken(const Params& params);
// RegionId is required and must be this node's region.
Status CheckRegion(const core::Topology& topology, const Params& params);

// ImageSnapshotId / AutoMatchImageCache of a spec to create: image caches enabled, the cache
// the account's and Ready.
Status CheckImageCacheUse(ApiEnv& env, const RequestContext& ctx,
                          const core::ContainerGroupSpec& spec);

}  // namespace openeci::api
