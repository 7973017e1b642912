// DescribeContainerLog in-process: real SQLite store and core service, a log file written where
// the controller writes it, the handler called directly. SinceSeconds at its extremes.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "api/handlers/handlers.h"
#include "common/clock.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::api {
namespace {

using Map = std::map<std::string, std::string>;

// 2026-01-01T00:00:00Z.
const TimePoint kNow = TimePoint(std::chrono::seconds(1767225600));

class DescribeContainerLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("openeci-log-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "logs");
    auto store = store::SqliteStore::Open((dir_ / "db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    groups_ = std::make_unique<core::ContainerGroupService>(*store_, clock_, topology_);
    env_ = std::make_unique<ApiEnv>(ApiEnv{*groups_, topology_});
    env_->log_root = (dir_ / "logs").string();
    env_->clock = &clock_;
    auto created = Call(&CreateContainerGroup, {{"RegionId", "cn-hangzhou"},
                                                {"ContainerGroupName", "logs"},
                                                {"Container.1.Name", "app"},
                                                {"Container.1.Image", "busybox"}});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    group_id_ = std::string((*created)["ContainerGroupId"].as_string());
    // The controller's layout: <log_root>/<group>/<generation>/<container>/<attempt>.log.
    std::filesystem::path file = dir_ / "logs" / group_id_ / "0" / "app" / "0.log";
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << "2020-01-01T00:00:00.000000000Z stdout F old\n"
                        << "2025-12-31T23:59:30.000000000Z stdout F new\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ActionResult Call(ActionFn fn, const Map& p) {
    auto params = Params::Create(std::map<std::string, std::string>(p.begin(), p.end()));
    EXPECT_TRUE(params.ok());
    RequestContext ctx;
    ctx.request_id = "req";
    ctx.caller.account_id = "acct-1";
    ctx.fingerprint = "fp-" + std::to_string(++calls_);
    return fn(*env_, ctx, *params);
  }

  StatusOr<std::string> LogSince(const std::string& since_seconds) {
    ASSIGN_OR_RETURN(boost::json::object out,
                     Call(&DescribeContainerLog, {{"RegionId", "cn-hangzhou"},
                                                  {"ContainerGroupId", group_id_},
                                                  {"ContainerName", "app"},
                                                  {"SinceSeconds", since_seconds}}));
    return std::string(out["Content"].as_string());
  }

  std::filesystem::path dir_;
  FakeClock clock_{kNow};
  core::Topology topology_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<core::ContainerGroupService> groups_;
  std::unique_ptr<ApiEnv> env_;
  std::string group_id_;
  int calls_ = 0;
};

TEST_F(DescribeContainerLogTest, SinceSecondsCountsBackFromNow) {
  StatusOr<std::string> recent = LogSince("60");
  ASSERT_TRUE(recent.ok()) << recent.status().ToString();
  EXPECT_EQ(*recent, "new");
}

TEST_F(DescribeContainerLogTest, SinceSecondsBeyondTheEpochMeansTheWholeLog) {
  for (const char* far : {"1767225600", "1767225601", "9223372036854775807"}) {
    StatusOr<std::string> all = LogSince(far);
    ASSERT_TRUE(all.ok()) << far << ": " << all.status().ToString();
    EXPECT_EQ(*all, "old\nnew") << far;
  }
}

TEST_F(DescribeContainerLogTest, SinceSecondsMustBeAPositiveInteger) {
  for (const char* bad : {"0", "-1", "ten", "99999999999999999999", "1.5"}) {
    StatusOr<std::string> refused = LogSince(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().api_code(), "InvalidParameter") << bad;
    EXPECT_NE(refused.status().message().find("SinceSeconds"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace openeci::api
