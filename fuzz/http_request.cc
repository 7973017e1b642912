// Fuzz target: the HTTP request path up to and through dispatch, without a network. Raw bytes
// -> the server's Beast parser (api::ServeBytes: same limits, keep-alive, refusals) -> the
// PathRouter -> ApiService (parameters, action, version, signature) -> the action's handler
// over a real in-memory SQLite store. Input: one mode byte, then the bytes of the connection.
// Mode bit 0: sign each request's parameters with a valid V1 signature after parsing (what a
// real client does), so that fuzzing reaches the handlers past authentication; bits 1-3: how
// many bytes each socket read hands out (1 .. unlimited). Properties: no answer is a 5xx; every
// JSON answer is a JSON object (valid UTF-8 included), as the SDKs require.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "api/api_service.h"
#include "api/exec_sessions.h"
#include "api/http_server.h"
#include "api/path_router.h"
#include "api/percent.h"
#include "api/signature.h"
#include "common/clock.h"
#include "controller/fake_runtime.h"
#include "core/container_group_service.h"
#include "core/image_cache_service.h"
#include "fuzz_check.h"
#include "metrics/metrics_sampler.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using namespace openeci;

// Everything `openeci serve` wires behind the API, with an in-memory store and runtime.
struct World {
  explicit World(const std::string& log_root)
      : store(std::move(store::SqliteStore::Open(":memory:")).value()),
        groups(*store, clock, topology),
        image_caches(*store, clock, topology),
        exec_sessions(clock),
        runtime(clock),
        metrics(runtime, clock, metrics::SamplerOptions{}),
        authenticator([this](const std::string& id) { return store->GetAccessKey(id); }, clock),
        api(Env(log_root), authenticator, "eci.fuzz"),
        router([this](const api::HttpRequest& r) { return api.Handle(r); }) {
    if (!store->PutAccessKey(fuzz::kFuzzKey).ok()) fuzz::Finding("cannot store the fuzz key");
    router.Add("/healthz", [](const api::HttpRequest&) {
      return api::HttpResponse{200, "text/plain", "ok", {}};
    });
  }

  api::ApiEnv Env(const std::string& log_root) {
    api::ApiEnv env{groups, topology};
    env.runtime = &runtime;
    env.exec_sessions = &exec_sessions;
    env.public_endpoint = topology.endpoint;
    env.metrics = &metrics;
    env.log_root = log_root;
    env.clock = &clock;
    env.image_caches = &image_caches;
    return env;
  }

  FakeClock clock{FromUnixMillis(1714564800000)};
  core::Topology topology;
  std::unique_ptr<store::SqliteStore> store;
  core::ContainerGroupService groups;
  core::ImageCacheService image_caches;
  api::ExecSessionRegistry exec_sessions;
  controller::FakeRuntime runtime;
  metrics::MetricsSampler metrics;
  api::Authenticator authenticator;
  api::ApiService api;
  api::PathRouter router;
};

std::string Encode(const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    out += "&" + api::PercentEncode(k) + "=" + api::PercentEncode(v);
  }
  return out;
}

// `request` with a valid V1 signature over its parameters, the signing parameters appended
// where the server reads them last (the form body when there is one, else the query). Left
// as it is when its parameters do not decode.
api::HttpRequest SignV1(api::HttpRequest request, const Clock& clock, uint64_t nonce) {
  std::string_view target = request.target;
  size_t q = target.find('?');
  std::map<std::string, std::string> params;
  if (q != std::string_view::npos) {
    auto query = api::ParseUrlEncoded(target.substr(q + 1));
    if (!query.ok()) return request;
    for (auto& [k, v] : *query) params[k] = v;
  }
  auto type = request.headers.find("content-type");
  bool form = request.method == "POST" && type != request.headers.end() &&
              type->second.find("application/x-www-form-urlencoded") != std::string::npos &&
              !request.body.empty();
  if (form) {
    auto body = api::ParseUrlEncoded(request.body);
    if (!body.ok()) return request;
    for (auto& [k, v] : *body) params[k] = v;
  }
  std::map<std::string, std::string> all =
      api::SignV1Request(request.method, params, {fuzz::kFuzzKey.id, fuzz::kFuzzKey.secret},
                         "fuzz-" + std::to_string(nonce), FormatRfc3339(clock.Now()));
  std::map<std::string, std::string> signing;
  for (const char* k : {"AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce",
                        "Timestamp", "Signature"}) {
    signing[k] = all[k];
  }
  if (form) {
    request.body += Encode(signing);
  } else {
    request.target += (q == std::string_view::npos ? "?" : "") + Encode(signing);
  }
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string log_root =
      (std::filesystem::temp_directory_path() / "openeci-fuzz-http-logs").string();
  // Rebuilt now and then: the store and the nonce cache (on a clock that never moves) grow.
  static std::unique_ptr<World> world;
  static uint64_t runs = 0;
  if (runs++ % 4096 == 0) world = std::make_unique<World>(log_root);

  std::string_view bytes = fuzz::AsText(data, size);
  uint8_t mode = fuzz::TakeByte(bytes);
  const bool sign = mode & 1;
  static const size_t kReads[] = {1, 2, 7, 64, 512, 4096, 65536, SIZE_MAX};
  const size_t max_read = kReads[(mode >> 1) % 8];

  World& w = *world;
  auto handler = [&w, sign](const api::HttpRequest& r) {
    static uint64_t nonce = 0;
    return w.router.Handle(sign ? SignV1(r, w.clock, ++nonce) : r);
  };
  auto refusal = [&w](int status, const std::string& reason) {
    return w.api.HandleUnparsable(status, reason);
  };
  for (const api::HttpResponse& answer : api::ServeBytes(bytes, max_read, handler, refusal)) {
    if (answer.status >= 500) {
      fuzz::Finding("a request was answered " + std::to_string(answer.status) + ": " + answer.body);
    }
    boost::system::error_code ec;
    if (answer.content_type.rfind("application/json", 0) == 0 &&
        !boost::json::parse(answer.body, ec).is_object()) {
      fuzz::Finding("an answer is not a JSON object: " + answer.body);
    }
  }
  return 0;
}
