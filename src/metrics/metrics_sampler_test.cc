#include "metrics/metrics_sampler.h"

#include <gtest/gtest.h>

#include "controller/fake_runtime.h"

namespace openeci::metrics {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

// 2026-01-01T00:00:00Z, a multiple of every Period.
const TimePoint kT0 = TimePoint(seconds(1767225600));

runtime::SandboxStats Stats(const std::string& group, uint64_t cpu_ns, uint64_t mem,
                            uint64_t tx = 0) {
  runtime::SandboxStats s;
  s.id = "sb-" + group;
  s.labels[runtime::kGroupIdLabel] = group;
  s.cpu.usage_core_nanoseconds = cpu_ns;
  s.memory.usage_bytes = mem;
  s.memory.working_set_bytes = mem;
  runtime::InterfaceStats eth0;
  eth0.name = "eth0";
  eth0.tx_bytes = tx;
  s.interfaces.push_back(eth0);
  runtime::ContainerStats c;
  c.name = "meta-name";
  c.labels[runtime::kContainerNameLabel] = "app";
  c.cpu.usage_core_nanoseconds = cpu_ns;
  c.memory.usage_bytes = mem;
  s.containers.push_back(c);
  return s;
}

class MetricsSamplerTest : public ::testing::Test {
 protected:
  explicit MetricsSamplerTest(SamplerOptions options = {})
      : clock_(kT0), runtime_(clock_), sampler_(runtime_, clock_, options) {}

  // Feeds `n` samples of `group`, `step` apart, spinning half a core: cumulative CPU grows by
  // 0.5 s per second.
  void Feed(const std::string& group, int n, seconds step, TimePoint from = kT0) {
    for (int i = 0; i < n; ++i) {
      TimePoint t = from + step * i;
      uint64_t cpu = static_cast<uint64_t>((t - kT0) / seconds(1)) * 500'000'000ULL;
      sampler_.Ingest(t, {Stats(group, cpu, 200u << 20, 1000u * i)});
    }
  }

  FakeClock clock_;
  controller::FakeRuntime runtime_;
  MetricsSampler sampler_;
};

TEST_F(MetricsSamplerTest, KeepsOneSamplePerGroupAndDerivesTheCpuRate) {
  Feed("eci-a", 3, seconds(15));
  ASSERT_EQ(sampler_.GroupCount(), 1u);
  auto latest = sampler_.Latest("eci-a");
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->time, kT0 + seconds(30));
  EXPECT_EQ(latest->cpu.usage_nano_cores, 500'000'000u);
  ASSERT_EQ(latest->containers.size(), 1u);
  EXPECT_EQ(latest->containers[0].name, "app");  // the spec name label, not the metadata name
  EXPECT_EQ(latest->containers[0].cpu.usage_nano_cores, 500'000'000u);
  EXPECT_EQ(latest->memory.working_set_bytes, 200u << 20);
  ASSERT_EQ(latest->interfaces.size(), 1u);
  EXPECT_EQ(latest->interfaces[0].tx_bytes, 2000u);
  EXPECT_FALSE(sampler_.Latest("eci-other").has_value());
}

TEST_F(MetricsSamplerTest, SkipsSandboxesWithoutGroupLabel) {
  runtime::SandboxStats foreign = Stats("x", 1, 1);
  foreign.labels.clear();
  sampler_.Ingest(kT0, {foreign});
  EXPECT_EQ(sampler_.GroupCount(), 0u);
}

TEST_F(MetricsSamplerTest, AClaimedPoolSandboxCountsForTheGroupOfItsContainers) {
  runtime::SandboxStats pooled = Stats("eci-p", 1, 1);
  pooled.labels.clear();  // a warm pool sandbox carries no group label
  pooled.containers[0].labels[runtime::kGroupIdLabel] = "eci-p";
  sampler_.Ingest(kT0, {pooled});
  EXPECT_EQ(sampler_.GroupCount(), 1u);
  EXPECT_EQ(sampler_.Samples("eci-p", kT0, kT0).size(), 1u);
}

TEST_F(MetricsSamplerTest, ACounterResetKeepsTheRuntimeRate) {
  sampler_.Ingest(kT0, {Stats("eci-a", 9'000'000'000, 1)});
  runtime::SandboxStats restarted = Stats("eci-a", 1'000, 1);
  restarted.cpu.usage_nano_cores = 42;
  sampler_.Ingest(kT0 + seconds(15), {restarted});
  EXPECT_EQ(sampler_.Latest("eci-a")->cpu.usage_nano_cores, 42u);
}

TEST_F(MetricsSamplerTest, SamplesSelectsTheClosedRange) {
  Feed("eci-a", 10, seconds(15));
  auto s = sampler_.Samples("eci-a", kT0 + seconds(15), kT0 + seconds(45));
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.front().time, kT0 + seconds(15));
  EXPECT_EQ(s.back().time, kT0 + seconds(45));
}

TEST_F(MetricsSamplerTest, SampleOnceReadsTheRuntimeAtTheClocksTime) {
  runtime_.AddImage("busybox");
  runtime::SandboxConfig sb;
  sb.name = "eci-rt";
  sb.uid = "eci-rt";
  sb.labels[runtime::kGroupIdLabel] = "eci-rt";
  auto sandbox = runtime_.RunSandbox(sb);
  ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
  runtime::ContainerConfig cc;
  cc.name = "app";
  cc.image = "busybox";
  cc.labels[runtime::kGroupIdLabel] = "eci-rt";
  cc.labels[runtime::kContainerNameLabel] = "app";
  auto container = runtime_.CreateContainer(*sandbox, cc, sb);
  ASSERT_TRUE(container.ok()) << container.status().ToString();
  ASSERT_TRUE(runtime_.StartContainer(*container).ok());
  runtime::InterfaceStats eth0{.name = "eth0", .rx_bytes = 10, .tx_bytes = 20};
  runtime_.SetSandboxInterfaces(*sandbox, {eth0});

  for (int i = 0; i < 3; ++i) {
    runtime::CpuStats cpu{.usage_core_nanoseconds = 250'000'000ULL * 15 * i};  // 0.25 core
    runtime::MemoryStats mem{.working_set_bytes = 100u << 20, .usage_bytes = 120u << 20};
    runtime_.SetContainerStats(*container, cpu, mem);
    ASSERT_TRUE(sampler_.SampleOnce().ok());
    clock_.Advance(seconds(15));
  }
  auto samples = sampler_.Samples("eci-rt", kT0, kT0 + hours(1));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[2].time, kT0 + seconds(30));
  ASSERT_EQ(samples[2].containers.size(), 1u);
  EXPECT_EQ(samples[2].containers[0].name, "app");
  EXPECT_EQ(samples[2].containers[0].cpu.usage_nano_cores, 250'000'000u);
  EXPECT_EQ(samples[2].cpu.usage_nano_cores, 250'000'000u);
  EXPECT_EQ(samples[2].containers[0].memory.working_set_bytes, 100u << 20);
  EXPECT_EQ(samples[2].memory.usage_bytes, 120u << 20);
  ASSERT_EQ(samples[2].interfaces.size(), 1u);
  EXPECT_EQ(samples[2].interfaces[0].tx_bytes, 20u);

  // A stopped sandbox is no longer reported; its samples stay queryable.
  ASSERT_TRUE(runtime_.StopSandbox(*sandbox).ok());
  ASSERT_TRUE(sampler_.SampleOnce().ok());
  EXPECT_EQ(sampler_.Latest("eci-rt")->time, kT0 + seconds(30));
}

TEST_F(MetricsSamplerTest, StartAndStopAreIdempotent) {
  sampler_.Start();
  sampler_.Start();
  sampler_.Stop();
  sampler_.Stop();
}

class BoundedSamplerTest : public MetricsSamplerTest {
 protected:
  BoundedSamplerTest()
      : MetricsSamplerTest(SamplerOptions{seconds(15), hours(1), /*max_samples_per_group=*/100,
                                          /*max_groups=*/2}) {}
};

TEST_F(BoundedSamplerTest, CapsSamplesPerGroup) {
  Feed("eci-a", 150, seconds(1));
  auto all = sampler_.Samples("eci-a", kT0, kT0 + hours(1));
  ASSERT_EQ(all.size(), 100u);
  EXPECT_EQ(all.front().time, kT0 + seconds(50));
}

TEST_F(BoundedSamplerTest, DropsSamplesOlderThanTheRetention) {
  Feed("eci-a", 5, seconds(15 * 60));  // 0, 15, 30, 45, 60 min
  auto all = sampler_.Samples("eci-a", kT0, kT0 + hours(2));
  ASSERT_EQ(all.size(), 5u);
  sampler_.Ingest(kT0 + hours(1) + seconds(20 * 60), {Stats("eci-a", 1, 1)});
  all = sampler_.Samples("eci-a", kT0, kT0 + hours(2));
  ASSERT_EQ(all.size(), 4u);  // 30, 45, 60 and 80 min; 0 and 15 min are older than 1 h
  EXPECT_EQ(all.front().time, kT0 + seconds(30 * 60));
}

TEST_F(BoundedSamplerTest, ForgetsGroupsNotSeenForTheRetention) {
  Feed("eci-a", 1, seconds(15));
  Feed("eci-b", 1, seconds(15), kT0 + hours(1) + seconds(1));
  EXPECT_FALSE(sampler_.Latest("eci-a").has_value());
  EXPECT_TRUE(sampler_.Latest("eci-b").has_value());
  EXPECT_EQ(sampler_.GroupCount(), 1u);
}

TEST_F(BoundedSamplerTest, ForgetDropsADeletedGroupAtOnce) {
  Feed("eci-a", 2, seconds(15));
  Feed("eci-b", 2, seconds(15));
  sampler_.Forget("eci-a");
  sampler_.Forget("eci-never-seen");
  EXPECT_FALSE(sampler_.Latest("eci-a").has_value());
  EXPECT_TRUE(sampler_.Latest("eci-b").has_value());
  EXPECT_EQ(sampler_.GroupCount(), 1u);
}

TEST_F(BoundedSamplerTest, CapsGroupsEvictingTheLeastRecentlySeen) {
  Feed("eci-a", 1, seconds(15), kT0);
  Feed("eci-b", 1, seconds(15), kT0 + seconds(15));
  Feed("eci-c", 1, seconds(15), kT0 + seconds(30));
  EXPECT_EQ(sampler_.GroupCount(), 2u);
  EXPECT_FALSE(sampler_.Latest("eci-a").has_value());
  EXPECT_TRUE(sampler_.Latest("eci-b").has_value());
  EXPECT_TRUE(sampler_.Latest("eci-c").has_value());
}

// --- Aggregation ---------------------------------------------------------------------------

std::vector<Sample> Series(int n, seconds step, TimePoint from = kT0) {
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) {
    Sample s;
    s.time = from + step * i;
    s.cpu.usage_nano_cores = 100u * (i + 1);
    s.cpu.usage_core_nanoseconds = 1000u * i;
    s.memory.usage_bytes = 10u * i;
    s.containers.push_back({"app", s.cpu, s.memory});
    out.push_back(s);
  }
  return out;
}

TEST(AggregateTest, OneRecordPerAlignedBucketNewestValuesAverageRate) {
  auto samples = Series(8, seconds(15));  // 0..105 s
  auto records = Aggregate(samples, kT0, kT0 + seconds(119), seconds(60));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].time, kT0 + seconds(45));  // newest of 0, 15, 30, 45
  EXPECT_EQ(records[0].memory.usage_bytes, 30u);
  EXPECT_EQ(records[0].cpu.usage_core_nanoseconds, 3000u);
  EXPECT_EQ(records[0].cpu.usage_nano_cores, 250u);  // (100+200+300+400)/4
  EXPECT_EQ(records[0].containers[0].cpu.usage_nano_cores, 250u);
  EXPECT_EQ(records[1].time, kT0 + seconds(105));
  EXPECT_EQ(records[1].cpu.usage_nano_cores, 650u);  // (500+600+700+800)/4
}

TEST(AggregateTest, PeriodEqualToTheIntervalKeepsEverySample) {
  auto samples = Series(8, seconds(15));
  EXPECT_EQ(Aggregate(samples, kT0, kT0 + seconds(105), seconds(15)).size(), 8u);
}

TEST(AggregateTest, BucketsOutsideTheWindowAreLeftOut) {
  auto samples = Series(40, seconds(15));  // 0..585 s
  auto records = Aggregate(samples, kT0 + seconds(120), kT0 + seconds(239), seconds(60));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].time, kT0 + seconds(165));
  EXPECT_EQ(records[1].time, kT0 + seconds(225));
}

TEST(AggregateTest, EmptyBucketsGiveNoRecord) {
  auto samples = Series(2, seconds(600));
  EXPECT_EQ(Aggregate(samples, kT0, kT0 + seconds(1199), seconds(60)).size(), 2u);
  EXPECT_TRUE(Aggregate(samples, kT0 + seconds(1), kT0, seconds(60)).empty());
}

TEST(BucketStartTest, AlignsDownToThePeriod) {
  EXPECT_EQ(BucketStart(kT0 + seconds(130), seconds(60)), kT0 + seconds(120));
  EXPECT_EQ(BucketStart(kT0 + seconds(600), seconds(600)), kT0 + seconds(600));
}

TEST(BucketCountTest, CountsAlignedBucketsTheWindowTouches) {
  EXPECT_EQ(BucketCount(kT0, kT0, seconds(60)), 1);
  EXPECT_EQ(BucketCount(kT0, kT0 + seconds(59), seconds(60)), 1);
  EXPECT_EQ(BucketCount(kT0 + seconds(59), kT0 + seconds(60), seconds(60)), 2);
  EXPECT_EQ(BucketCount(kT0, kT0 + seconds(49 * 60), seconds(60)), 50);  // the limit
  EXPECT_EQ(BucketCount(kT0, kT0 + seconds(50 * 60), seconds(60)), 51);
  EXPECT_EQ(BucketCount(kT0 + seconds(1), kT0, seconds(60)), 0);
}

}  // namespace
}  // namespace openeci::metrics
