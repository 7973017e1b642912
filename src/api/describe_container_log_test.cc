// DescribeContainerLog in-process: real SQLite store and core service, a log file written where
// the controller writes it, the handler called directly. SinceSeconds at its extremes.
#include <gtest/gtest.h>

#include <fstream>

#include "api/handler_test_fixture.h"

namespace openeci::api {
namespace {

// 2026-01-01T00:00:00Z.
const TimePoint kNow = TimePoint(std::chrono::seconds(1767225600));

class DescribeContainerLogTest : public HandlerTest {
 protected:
  DescribeContainerLogTest() : HandlerTest(kNow) {}

  void SetUp() override {
    HandlerTest::SetUp();
    env_->log_root = (dir_ / "logs").string();
    env_->clock = &clock_;
    group_id_ = CreateGroup({{"ContainerGroupName", "logs"},
                             {"Container.1.Name", "app"},
                             {"Container.1.Image", "busybox"}});
    ASSERT_FALSE(group_id_.empty());
    // The controller's layout: <log_root>/<group>/<generation>/<container>/<attempt>.log.
    std::filesystem::path file = dir_ / "logs" / group_id_ / "0" / "app" / "0.log";
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << "2020-01-01T00:00:00.000000000Z stdout F old\n"
                        << "2025-12-31T23:59:30.000000000Z stdout F new\n";
  }

  StatusOr<std::string> LogSince(const std::string& since_seconds) {
    ASSIGN_OR_RETURN(boost::json::object out,
                     Call(&DescribeContainerLog, {{"RegionId", "cn-hangzhou"},
                                                  {"ContainerGroupId", group_id_},
                                                  {"ContainerName", "app"},
                                                  {"SinceSeconds", since_seconds}}));
    return std::string(out["Content"].as_string());
  }

  std::string group_id_;
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
