// DescribeContainerGroupMetric and DescribeMultiContainerGroupMetric in-process: real SQLite
// store and core service, a MetricsSampler fed with samples at FakeClock times, the handlers
// called directly. Window rules, the 50-record limit, Limit/Load rendering, tenancy.
#include <gtest/gtest.h>

#include "api/handler_test_fixture.h"
#include "controller/fake_runtime.h"
#include "metrics/metrics_sampler.h"

namespace openeci::api {
namespace {

namespace json = boost::json;
using std::chrono::minutes;
using std::chrono::seconds;

// 2026-01-01T00:00:00Z, aligned to every Period.
const TimePoint kT0 = TimePoint(seconds(1767225600));

class MetricHandlersTest : public HandlerTest {
 protected:
  MetricHandlersTest() : HandlerTest(kT0), runtime_(clock_), sampler_(runtime_, clock_, {}) {}

  void SetUp() override {
    HandlerTest::SetUp();
    env_->metrics = &sampler_;
    group_id_ = Create("acct-1");
  }

  // A group of 1 vCPU whose container "app" has 0.5.
  std::string Create(const std::string& account) {
    return CreateGroup({{"ContainerGroupName", "mg"},
                        {"Cpu", "1"},
                        {"Memory", "2"},
                        {"Container.1.Name", "app"},
                        {"Container.1.Cpu", "0.5"},
                        {"Container.1.Image", "busybox"}},
                       account);
  }

  ActionResult Metric(Map p) {
    p["RegionId"] = "cn-hangzhou";
    if (!p.count("ContainerGroupId")) p["ContainerGroupId"] = group_id_;
    return Call(&DescribeContainerGroupMetric, p);
  }

  // One sample every 15 s from kT0 for `n` samples, half a core busy; the clock ends at the last.
  void Feed(int n) {
    for (int i = 0; i < n; ++i) {
      runtime::SandboxStats s;
      s.labels[runtime::kGroupIdLabel] = group_id_;
      s.cpu.usage_core_nanoseconds = 7'500'000'000ULL * i;
      s.memory.working_set_bytes = 100u << 20;
      runtime::ContainerStats c;
      c.name = "app";
      c.cpu = s.cpu;
      s.containers.push_back(c);
      clock_.Set(kT0 + seconds(15) * i);
      sampler_.Ingest(clock_.Now(), {s});
    }
  }

  static std::string Iso(TimePoint t) { return FormatRfc3339(t); }

  static void ExpectInvalid(const ActionResult& r, const std::string& mention,
                            const std::string& code = "InvalidParameter") {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().api_code(), code) << r.status().message();
    EXPECT_NE(r.status().message().find(mention), std::string::npos) << r.status().message();
  }

  controller::FakeRuntime runtime_;
  metrics::MetricsSampler sampler_;
  std::string group_id_;
};

TEST_F(MetricHandlersTest, DefaultWindowIsTheLastFiveMinutesAtPeriod15) {
  Feed(41);  // 0..600 s
  auto r = Metric({{"Period", "600"}});  // validated, but without a window it does not apply
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const json::array& records = (*r)["Records"].as_array();
  ASSERT_EQ(records.size(), 21u);  // 300..600 s, one per 15 s bucket
  EXPECT_EQ(records.front().at("Timestamp").as_string(), Iso(kT0 + seconds(300)));
  EXPECT_EQ(records.back().at("Timestamp").as_string(), Iso(kT0 + seconds(600)));
  EXPECT_EQ((*r)["ContainerGroupId"].as_string(), group_id_);
}

TEST_F(MetricHandlersTest, RendersLimitAndLoadAgainstTheAllotment) {
  Feed(3);
  auto r = Metric({});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const json::object& rec = (*r)["Records"].as_array().back().as_object();
  EXPECT_EQ(rec.at("CPU").at("UsageNanoCores").to_number<int64_t>(), 500'000'000);
  EXPECT_EQ(rec.at("CPU").at("Limit").to_number<int64_t>(), 1024);
  EXPECT_EQ(rec.at("CPU").at("Load").to_number<int64_t>(), 50);
  const json::object& app = rec.at("Containers").as_array().at(0).as_object();
  EXPECT_EQ(app.at("Name").as_string(), "app");
  EXPECT_EQ(app.at("CPU").at("Limit").to_number<int64_t>(), 512);
  EXPECT_EQ(app.at("CPU").at("Load").to_number<int64_t>(), 100);
  EXPECT_EQ(rec.at("Memory").at("WorkingSet").to_number<int64_t>(), 100 << 20);
  EXPECT_TRUE(rec.at("Disk").as_array().empty());
  EXPECT_TRUE(rec.at("Filesystem").as_array().empty());
}

TEST_F(MetricHandlersTest, PeriodBucketsWithinAnExplicitWindow) {
  Feed(41);
  auto r = Metric({{"StartTime", Iso(kT0 + seconds(60))},
                   {"EndTime", Iso(kT0 + seconds(239))},
                   {"Period", "60"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const json::array& records = (*r)["Records"].as_array();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].at("Timestamp").as_string(), Iso(kT0 + seconds(105)));
  EXPECT_EQ(records[2].at("Timestamp").as_string(), Iso(kT0 + seconds(225)));
  // Only EndTime: the one bucket holding it.
  r = Metric({{"EndTime", Iso(kT0 + seconds(130))}, {"Period", "60"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)["Records"].as_array().size(), 1u);
  EXPECT_EQ((*r)["Records"].as_array()[0].at("Timestamp").as_string(), Iso(kT0 + seconds(120)));
}

TEST_F(MetricHandlersTest, FiftyRecordsAtMost) {
  clock_.Set(kT0 + std::chrono::hours(10));
  EXPECT_TRUE(Metric({{"StartTime", Iso(kT0)}, {"EndTime", Iso(kT0 + minutes(49))}}).ok());
  ExpectInvalid(Metric({{"StartTime", Iso(kT0)}, {"EndTime", Iso(kT0 + minutes(50))}}),
                "at most 50 records");
  EXPECT_TRUE(Metric({{"StartTime", Iso(kT0 + std::chrono::hours(2))}, {"Period", "600"}}).ok());
  ExpectInvalid(Metric({{"StartTime", Iso(kT0)}, {"Period", "600"}}), "61 records");
}

TEST_F(MetricHandlersTest, TimeWindowErrorsNameTheParameter) {
  clock_.Set(kT0 + std::chrono::hours(24 * 40));
  TimePoint now = clock_.Now();
  ExpectInvalid(Metric({{"Period", "45"}}), "\"Period\"");
  ExpectInvalid(Metric({{"Period", "60s"}}), "\"Period\"");
  ExpectInvalid(Metric({{"StartTime", "2026-13-01T00:00:00Z"}}), "\"StartTime\"");
  ExpectInvalid(Metric({{"EndTime", "soon"}}), "\"EndTime\"");
  ExpectInvalid(Metric({{"StartTime", Iso(now + seconds(60))}}), "future");
  ExpectInvalid(Metric({{"StartTime", Iso(now - std::chrono::hours(24 * 31))}, {"Period", "600"}}),
                "30 days");
  ExpectInvalid(Metric({{"StartTime", Iso(now - seconds(60))}, {"EndTime", Iso(now - seconds(120))}}),
                "\"EndTime\" must not be earlier than \"StartTime\"");
  ExpectInvalid(Metric({{"Unknown", "1"}}), "\"Unknown\"");
  ExpectInvalid(Metric({{"ContainerGroupId", ""}}), "ContainerGroupId", "MissingParameter");
}

TEST_F(MetricHandlersTest, OtherAccountsGroupsAreNotFound) {
  std::string theirs = Create("acct-2");
  ExpectInvalid(Metric({{"ContainerGroupId", theirs}}), theirs, "InvalidParameter.NotFound");
  ExpectInvalid(Call(&DescribeMultiContainerGroupMetric,
                     {{"RegionId", "cn-hangzhou"},
                      {"ContainerGroupIds", "[\"" + group_id_ + "\",\"" + theirs + "\"]"}}),
                theirs, "InvalidParameter.NotFound");
}

TEST_F(MetricHandlersTest, MultiAnswersTheLatestRecordOfEachGroupOnce) {
  std::string quiet = Create("acct-1");  // never sampled
  Feed(5);
  auto r = Call(&DescribeMultiContainerGroupMetric,
                {{"RegionId", "cn-hangzhou"},
                 {"MetricType", "summary"},
                 {"ContainerGroupIds",
                  "[\"" + group_id_ + "\",\"" + quiet + "\",\"" + group_id_ + "\"]"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const json::array& datas = (*r)["MonitorDatas"].as_array();
  ASSERT_EQ(datas.size(), 2u);
  EXPECT_EQ(datas[0].at("ContainerGroupId").as_string(), group_id_);
  ASSERT_EQ(datas[0].at("Records").as_array().size(), 1u);
  EXPECT_EQ(datas[0].at("Records").as_array()[0].at("Timestamp").as_string(),
            Iso(kT0 + seconds(60)));
  EXPECT_TRUE(datas[1].at("Records").as_array().empty());
}

TEST_F(MetricHandlersTest, MultiParameterErrors) {
  auto multi = [&](Map p) {
    p["RegionId"] = "cn-hangzhou";
    return Call(&DescribeMultiContainerGroupMetric, p);
  };
  ExpectInvalid(multi({}), "ContainerGroupIds", "MissingParameter");
  ExpectInvalid(multi({{"ContainerGroupIds", "eci-1"}}), "ContainerGroupIds");
  ExpectInvalid(multi({{"ContainerGroupIds", "[]"}}), "ContainerGroupIds");
  std::string many = "[";
  for (int i = 0; i < 21; ++i) many += std::string(i ? "," : "") + "\"eci-" + std::to_string(i) + "\"";
  ExpectInvalid(multi({{"ContainerGroupIds", many + "]"}}), "more than 20",
                "InvalidParameter.LengthExceeded");
  ExpectInvalid(multi({{"ContainerGroupIds", "[\"" + group_id_ + "\"]"}, {"MetricType", "x"}}),
                "\"MetricType\"");
  ExpectInvalid(multi({{"ContainerGroupIds", "[\"" + group_id_ + "\"]"}, {"ResourceGroupId", "rg-x"}}),
                "rg-x", "InvalidParameter.NotFound");
}

TEST_F(MetricHandlersTest, WithoutASamplerBothActionsAreUnavailable) {
  env_->metrics = nullptr;
  auto r = Metric({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().cls(), StatusClass::kUnavailable);
}

}  // namespace
}  // namespace openeci::api
