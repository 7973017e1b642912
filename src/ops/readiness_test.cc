#include "ops/readiness.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace openeci::ops {
namespace {

using std::chrono::milliseconds;

// A check that blocks until released (a hung dependency).
class Gate {
 public:
  StatusOr<std::string> Wait() {
    calls_ += 1;
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_; });
    return std::string("late");
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  int calls() const { return calls_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  std::atomic<int> calls_{0};
};

TEST(TimedProbeTest, AnswersWithTheCheckResult) {
  TimedProbe ok(
      "containerd", [] { return StatusOr<std::string>("containerd 1.6.20"); }, milliseconds(1000));
  ASSERT_TRUE(ok.Run().ok());
  EXPECT_EQ(*ok.Run(), "containerd 1.6.20");
  TimedProbe failing(
      "store", [] { return StatusOr<std::string>(UnavailableError("db gone")); },
      milliseconds(1000));
  EXPECT_EQ(failing.Run().status().message(), "db gone");
}

TEST(TimedProbeTest, AHungCheckTimesOutAndIsNotStartedAgainWhileHung) {
  Gate gate;
  TimedProbe probe(
      "containerd", [&gate] { return gate.Wait(); }, milliseconds(100));
  auto t0 = std::chrono::steady_clock::now();
  StatusOr<std::string> first = probe.Run();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(100));
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().message(), "containerd did not answer within 100 ms");
  EXPECT_FALSE(probe.Run().ok());
  EXPECT_EQ(gate.calls(), 1);  // the second call waited for the first check
  gate.Open();
  // Once the hung check returns, the next call runs a new check.
  for (int i = 0; i < 50 && gate.calls() < 2; ++i) {
    StatusOr<std::string> r = probe.Run();
    if (r.ok()) EXPECT_EQ(*r, "late");
  }
  EXPECT_EQ(gate.calls(), 2);
}

TEST(ReadinessTest, ReadyOnlyWhenEveryProbeAnswersInTime) {
  TimedProbe store(
      "store", [] { return StatusOr<std::string>(std::string()); }, milliseconds(500));
  TimedProbe containerd(
      "containerd", [] { return StatusOr<std::string>("containerd 1.6"); }, milliseconds(500));
  Readiness readiness({&store, &containerd});
  ReadinessResult r = readiness.Check();
  EXPECT_TRUE(r.ready);
  EXPECT_EQ(r.report, "store: ok\ncontainerd: ok (containerd 1.6)\n");
}

TEST(ReadinessTest, AHungDependencyMakesItNotReadyWithTheReason) {
  Gate gate;
  TimedProbe store(
      "store", [] { return StatusOr<std::string>(std::string()); }, milliseconds(500));
  TimedProbe containerd(
      "containerd", [&gate] { return gate.Wait(); }, milliseconds(150));
  Readiness readiness({&store, &containerd});
  auto t0 = std::chrono::steady_clock::now();
  ReadinessResult r = readiness.Check();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(1000));
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.report, "store: ok\ncontainerd: containerd did not answer within 150 ms\n");
  gate.Open();  // the probe's destructor joins its thread
}

TEST(ReadinessTest, AFailingDependencyMakesItNotReady) {
  TimedProbe store(
      "store", [] { return StatusOr<std::string>(InternalError("disk I/O error")); },
      milliseconds(500));
  Readiness readiness({&store});
  ReadinessResult r = readiness.Check();
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.report, "store: disk I/O error\n");
}

}  // namespace
}  // namespace openeci::ops
