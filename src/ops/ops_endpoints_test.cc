// The operations endpoints over ServerMetrics on a real SQLite store, with readiness probes
// whose checks the tests control.
#include "ops/ops_endpoints.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>

#include "ops/server_metrics.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::ops {
namespace {

using std::chrono::milliseconds;

class OpsEndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "ops_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto store = store::SqliteStore::Open(dir_ + "/openeci.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    metrics_ = std::make_unique<ServerMetrics>(registry_,
                                               ServerMetricsSources{store_.get(), &containerd_});
    AddQueueDepthMetric(registry_, {{"container_groups", [this] { return queued_.load(); }}});
  }
  void TearDown() override {
    metrics_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void AddGroup(const std::string& id, core::GroupPhase phase, bool deleting = false) {
    core::ContainerGroup g;
    g.id = id;
    g.account_id = "acct";
    g.spec.name = id;
    g.spec.region_id = "cn-hangzhou";
    g.status.phase = phase;
    g.deleting = deleting;
    std::string existing;
    ASSERT_TRUE(store_->CreateGroup(g, std::nullopt, &existing).ok());
  }

  api::HttpResponse Get(const std::string& path, const std::string& method = "GET") {
    api::PathRouter router([](const api::HttpRequest&) {
      return api::HttpResponse{200, "application/json", "api", {}};
    });
    OpsEndpoints endpoints(registry_, readiness_);
    endpoints.AddRoutes(router);
    api::HttpRequest r;
    r.method = method;
    r.target = path;
    return router.Handle(r);
  }

  bool Has(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  }

  std::string dir_;
  std::unique_ptr<store::SqliteStore> store_;
  std::atomic<bool> containerd_hung_{false};
  std::atomic<size_t> queued_{0};
  TimedProbe store_probe_{"store",
                          [this]() -> StatusOr<std::string> {
                            RETURN_IF_ERROR(store_->CountGroups("").status());
                            return std::string();
                          },
                          milliseconds(500)};
  TimedProbe containerd_{"containerd",
                         [this]() -> StatusOr<std::string> {
                           if (containerd_hung_) std::this_thread::sleep_for(milliseconds(400));
                           return std::string("containerd 1.6.20~ds1");
                         },
                         milliseconds(150)};
  Readiness readiness_{{&store_probe_, &containerd_}};
  MetricRegistry registry_;
  std::unique_ptr<ServerMetrics> metrics_;
};

TEST_F(OpsEndpointsTest, HealthzIsOkText) {
  api::HttpResponse r = Get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
}

TEST_F(OpsEndpointsTest, OnlyGetIsAllowed) {
  for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
    api::HttpResponse r = Get(path, "POST");
    EXPECT_EQ(r.status, 405) << path;
    EXPECT_EQ(r.headers["allow"], "GET");
  }
}

TEST_F(OpsEndpointsTest, ReadyzFollowsTheProbes) {
  api::HttpResponse ready = Get("/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ok\nstore: ok\ncontainerd: ok (containerd 1.6.20~ds1)\n");
  containerd_hung_ = true;
  api::HttpResponse hung = Get("/readyz");
  EXPECT_EQ(hung.status, 503);
  EXPECT_EQ(hung.body,
            "not ready\nstore: ok\ncontainerd: containerd did not answer within 150 ms\n");
  containerd_hung_ = false;
  std::this_thread::sleep_for(milliseconds(400));  // the hung check finishes
  EXPECT_EQ(Get("/readyz").status, 200);
}

TEST_F(OpsEndpointsTest, OtherPathsStillGoToTheApi) {
  EXPECT_EQ(Get("/?Action=DescribeRegions").body, "api");
  EXPECT_EQ(Get("/metricsx").body, "api");
}

TEST_F(OpsEndpointsTest, MetricsCountRequestsErrorsAndLatencyByAction) {
  metrics_->OnApiRequest("CreateContainerGroup", 200, "", 0.02);
  metrics_->OnApiRequest("CreateContainerGroup", 400, "InvalidParameter", 0.001);
  metrics_->OnApiRequest("unknown", 403, "InvalidAction", 0.001);
  api::HttpResponse r = Get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = r.body;
  EXPECT_TRUE(Has(m, "openeci_api_requests_total{action=\"CreateContainerGroup\",code=\"200\"} 1"));
  EXPECT_TRUE(Has(m, "openeci_api_requests_total{action=\"CreateContainerGroup\",code=\"400\"} 1"));
  EXPECT_TRUE(Has(m, "openeci_api_requests_total{action=\"unknown\",code=\"403\"} 1"));
  EXPECT_TRUE(Has(m,
                  "openeci_api_errors_total{action=\"CreateContainerGroup\","
                  "error_code=\"InvalidParameter\"} 1"));
  EXPECT_TRUE(Has(m,
                  "openeci_api_request_duration_seconds_bucket{action=\"CreateContainerGroup\","
                  "le=\"0.005\"} 1"));
  EXPECT_TRUE(Has(m,
                  "openeci_api_request_duration_seconds_bucket{action=\"CreateContainerGroup\","
                  "le=\"0.025\"} 2"));
  EXPECT_TRUE(
      Has(m, "openeci_api_request_duration_seconds_count{action=\"CreateContainerGroup\"} 2"));
}

TEST_F(OpsEndpointsTest, MetricsCountPullsBySourceAndResult) {
  metrics_->OnImagePull(controller::PullSource::kContainerGroup, true, 1.2);
  metrics_->OnImagePull(controller::PullSource::kContainerGroup, false, 0.3);
  metrics_->OnImagePull(controller::PullSource::kImageCache, true, 7);
  std::string m = Get("/metrics").body;
  EXPECT_TRUE(Has(m, "openeci_image_pulls_total{source=\"container_group\",result=\"success\"} 1"));
  EXPECT_TRUE(Has(m, "openeci_image_pulls_total{source=\"container_group\",result=\"failure\"} 1"));
  EXPECT_TRUE(Has(m, "openeci_image_pulls_total{source=\"image_cache\",result=\"success\"} 1"));
  EXPECT_TRUE(Has(m,
                  "openeci_image_pull_duration_seconds_bucket{source=\"image_cache\","
                  "result=\"success\",le=\"10\"} 1"));
  EXPECT_TRUE(Has(m,
                  "openeci_image_pull_duration_seconds_sum{source=\"image_cache\","
                  "result=\"success\"} 7"));
}

TEST_F(OpsEndpointsTest, GroupsByStatusAreReadFromTheStoreAtScrapeTime) {
  std::string empty = Get("/metrics").body;
  EXPECT_TRUE(Has(empty, "openeci_container_groups{status=\"Running\"} 0"));
  AddGroup("eci-1", core::GroupPhase::Running);
  AddGroup("eci-2", core::GroupPhase::Running);
  AddGroup("eci-3", core::GroupPhase::Pending);
  AddGroup("eci-4", core::GroupPhase::Failed, /*deleting=*/true);
  std::string m = Get("/metrics").body;
  EXPECT_TRUE(Has(m, "openeci_container_groups{status=\"Running\"} 2"));
  EXPECT_TRUE(Has(m, "openeci_container_groups{status=\"Pending\"} 1"));
  EXPECT_TRUE(Has(m, "openeci_container_groups{status=\"Failed\"} 0"));
  EXPECT_TRUE(Has(m, "openeci_container_groups{status=\"Deleting\"} 1"));
  EXPECT_TRUE(Has(m, "openeci_container_groups{status=\"Succeeded\"} 0"));
}

TEST_F(OpsEndpointsTest, QueueDepthContainerdHealthProcessAndBuildInfo) {
  queued_ = 3;
  std::string m = Get("/metrics").body;
  EXPECT_TRUE(Has(m, "openeci_controller_queue_depth{controller=\"container_groups\"} 3"));
  EXPECT_TRUE(Has(m, "openeci_containerd_up 1"));
  EXPECT_TRUE(Has(m, "openeci_containerd_info{version=\"containerd 1.6.20~ds1\"} 1"));
  EXPECT_NE(m.find("\nopeneci_build_info{version=\""), std::string::npos);
  EXPECT_NE(m.find("\nprocess_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(m.find("\nprocess_open_fds "), std::string::npos);
  EXPECT_NE(m.find("\nprocess_threads "), std::string::npos);
  EXPECT_NE(m.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
  containerd_hung_ = true;
  std::string down = Get("/metrics").body;
  EXPECT_TRUE(Has(down, "openeci_containerd_up 0"));
  EXPECT_EQ(down.find("openeci_containerd_info{"), std::string::npos);
  containerd_hung_ = false;
  std::this_thread::sleep_for(milliseconds(400));
}

TEST_F(OpsEndpointsTest, AnOpsOnlyListenerAnswers404ElsewhereInPlainText) {
  api::PathRouter router(&OpsNotFound);
  api::HttpRequest r;
  r.method = "GET";
  r.target = "/?Action=DescribeRegions";
  api::HttpResponse a = router.Handle(r);
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.content_type, "text/plain; charset=utf-8");
  EXPECT_NE(a.body.find("/metrics"), std::string::npos);
}

}  // namespace
}  // namespace openeci::ops
