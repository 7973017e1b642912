// Unit tests of the Prober: thresholds, initial delay and period on a FakeClock (driven with
// RunDue, no threads), worker threads that start and stop with their containers, and the real
// network probes (HTTP, TCP, timeouts) against servers on 127.0.0.1.
#include "controller/prober.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "controller/fake_probe_runner.h"
#include "controller/fake_runtime.h"
#include "controller/probe_runner.h"

namespace openeci::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

core::ProbeSpec ExecProbe() {
  core::ProbeSpec p;
  p.exec_command = {"cat", "/tmp/healthy"};
  return p;
}

class ProberTest : public ::testing::Test {
 protected:
  ProberTest()
      : clock_(TimePoint(seconds(1700000000))),
        prober_(runner_, clock_, [this](const std::string& g) { notified_.push_back(g); },
                [this](const ProbeKey& k, const std::string& m) {
                  std::lock_guard lock(mu_);
                  events_.push_back(k.container_name + ": " + m);
                }) {}

  core::Millis Now() const { return ToUnixMillis(clock_.Now()); }
  void Advance(seconds s) { clock_.Advance(s); }
  ProbeKey Key(const std::string& id, ProbeKind kind) { return {"eci-1", "app", id, kind}; }

  FakeClock clock_;
  FakeProbeRunner runner_;
  std::vector<std::string> notified_;
  std::mutex mu_;
  std::vector<std::string> events_;
  Prober prober_;
};

TEST(ProbeTracker, ReadinessNeedsSuccessThresholdAndFailureThreshold) {
  core::ProbeSpec spec = ExecProbe();
  spec.success_threshold = 2;
  spec.failure_threshold = 3;
  ProbeTracker t(ProbeKind::kReadiness, spec);
  EXPECT_EQ(t.result(), ProbeResult::kFailure);
  EXPECT_FALSE(t.Record(true));
  EXPECT_TRUE(t.Record(true));
  EXPECT_EQ(t.result(), ProbeResult::kSuccess);
  EXPECT_FALSE(t.Record(false));
  EXPECT_FALSE(t.Record(false));
  EXPECT_FALSE(t.Record(true));  // a success in between resets the failure count
  EXPECT_FALSE(t.Record(false));
  EXPECT_FALSE(t.Record(false));
  EXPECT_TRUE(t.Record(false));
  EXPECT_EQ(t.result(), ProbeResult::kFailure);
}

TEST(ProbeTracker, LivenessStartsHealthyAndFailsAfterFailureThreshold) {
  core::ProbeSpec spec = ExecProbe();
  spec.failure_threshold = 2;
  ProbeTracker t(ProbeKind::kLiveness, spec);
  EXPECT_EQ(t.result(), ProbeResult::kSuccess);
  EXPECT_FALSE(t.Record(false));
  EXPECT_EQ(t.consecutive_failures(), 1);
  EXPECT_TRUE(t.Record(false));
  EXPECT_EQ(t.result(), ProbeResult::kFailure);
  EXPECT_TRUE(t.Record(true));  // liveness recovers after one success
}

TEST_F(ProberTest, WithoutWorkerResultsAreTheInitialOnes) {
  EXPECT_EQ(prober_.ResultOf("c1", ProbeKind::kReadiness), ProbeResult::kFailure);
  EXPECT_EQ(prober_.ResultOf("c1", ProbeKind::kLiveness), ProbeResult::kSuccess);
  EXPECT_FALSE(prober_.StatusOf("c1", ProbeKind::kReadiness).has_value());
}

TEST_F(ProberTest, InitialDelayThenOneProbePerPeriod) {
  core::ProbeSpec spec = ExecProbe();
  spec.initial_delay_seconds = 5;
  spec.period_seconds = 3;
  spec.timeout_seconds = 2;
  prober_.Ensure(Key("c1", ProbeKind::kReadiness), spec, {"c1", "10.0.0.2"}, Now());
  EXPECT_EQ(prober_.RunDue(), 0);
  Advance(seconds(4));
  EXPECT_EQ(prober_.RunDue(), 0);
  EXPECT_EQ(prober_.ResultOf("c1", ProbeKind::kReadiness), ProbeResult::kFailure);
  Advance(seconds(1));
  EXPECT_EQ(prober_.RunDue(), 1);
  EXPECT_EQ(prober_.ResultOf("c1", ProbeKind::kReadiness), ProbeResult::kSuccess);
  EXPECT_EQ(notified_, std::vector<std::string>{"eci-1"});
  Advance(seconds(2));
  EXPECT_EQ(prober_.RunDue(), 0);
  Advance(seconds(1));
  EXPECT_EQ(prober_.RunDue(), 1);
  EXPECT_EQ(notified_.size(), 1u) << "an unchanged result notifies nobody";
  EXPECT_EQ(runner_.Timeouts(), (std::vector<int>{2, 2}));
}

TEST_F(ProberTest, EnsureIsIdempotentAndDelayCountsFromTheContainersStart) {
  core::ProbeSpec spec = ExecProbe();
  spec.initial_delay_seconds = 10;
  core::Millis started = Now() - 10000;  // started 10 s ago: due now
  prober_.Ensure(Key("c1", ProbeKind::kLiveness), spec, {"c1", ""}, started);
  prober_.Ensure(Key("c1", ProbeKind::kLiveness), spec, {"c1", ""}, Now());
  EXPECT_EQ(prober_.WorkerCount(), 1u);
  EXPECT_EQ(prober_.RunDue(), 1);
}

TEST_F(ProberTest, LivenessFailsAfterFailureThresholdWithAnEventPerFailedProbe) {
  core::ProbeSpec spec = ExecProbe();
  spec.period_seconds = 1;
  spec.failure_threshold = 3;
  runner_.Set("c1", {false, "cat: can't open '/tmp/healthy': No such file or directory"});
  prober_.Ensure(Key("c1", ProbeKind::kLiveness), spec, {"c1", ""}, Now());
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(prober_.RunDue(), 1);
    Advance(seconds(1));
  }
  EXPECT_EQ(prober_.ResultOf("c1", ProbeKind::kLiveness), ProbeResult::kSuccess);
  EXPECT_TRUE(notified_.empty());
  ASSERT_EQ(prober_.RunDue(), 1);
  EXPECT_EQ(prober_.ResultOf("c1", ProbeKind::kLiveness), ProbeResult::kFailure);
  EXPECT_EQ(notified_.size(), 1u);
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[0],
            "app: Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory");
  std::optional<ProbeStatus> st = prober_.StatusOf("c1", ProbeKind::kLiveness);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->probes_run, 3);
  EXPECT_EQ(st->consecutive_failures, 3);
}

TEST_F(ProberTest, RetainAndForgetStopWorkersOfGoneContainers) {
  prober_.Ensure(Key("c1", ProbeKind::kLiveness), ExecProbe(), {"c1", ""}, Now());
  prober_.Ensure(Key("c1", ProbeKind::kReadiness), ExecProbe(), {"c1", ""}, Now());
  prober_.Ensure(Key("c2", ProbeKind::kReadiness), ExecProbe(), {"c2", ""}, Now());
  prober_.Ensure({"eci-2", "db", "c3", ProbeKind::kReadiness}, ExecProbe(), {"c3", ""}, Now());
  prober_.Retain("eci-1", {"c2"});
  EXPECT_EQ(prober_.WorkerCount(), 2u);
  EXPECT_FALSE(prober_.StatusOf("c1", ProbeKind::kLiveness).has_value());
  prober_.Forget("eci-1");
  EXPECT_EQ(prober_.WorkerCount(), 1u);
  EXPECT_EQ(prober_.RunDue(), 1);
  EXPECT_EQ(runner_.Calls(), std::vector<std::string>{"c3"});
}

// Threads, on the real clock: a worker probes by itself, and stopping it leaves no thread.
TEST(ProberThreads, WorkersRunOnTheirOwnAndAreJoinedWhenStopped) {
  SystemClock clock;
  FakeProbeRunner runner;
  std::atomic<int> notified{0};
  Prober prober(runner, clock, [&](const std::string&) { ++notified; }, nullptr);
  prober.Start();
  core::ProbeSpec spec = ExecProbe();
  spec.period_seconds = 1;
  prober.Ensure({"eci-1", "app", "c1", ProbeKind::kReadiness}, spec, {"c1", ""},
                ToUnixMillis(clock.Now()));
  auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (runner.Calls().size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_GE(runner.Calls().size(), 2u);
  EXPECT_EQ(notified.load(), 1);
  EXPECT_EQ(prober.ResultOf("c1", ProbeKind::kReadiness), ProbeResult::kSuccess);
  prober.Forget("eci-1");
  EXPECT_EQ(prober.WorkerCount(), 0u);
  size_t calls = runner.Calls().size();
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_EQ(runner.Calls().size(), calls) << "a stopped worker probes no more";
  prober.Stop();
  EXPECT_EQ(prober.RetiredThreadCount(), 0u);
}

// A listening socket on 127.0.0.1 that answers every connection with `reply` (or, with an
// empty reply, accepts and never answers).
class LocalServer {
 public:
  explicit LocalServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 8);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LocalServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  void Serve() {
    for (;;) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      if (reply_.empty()) {
        held_.push_back(c);
        continue;
      }
      char buf[1024];
      (void)recv(c, buf, sizeof(buf), 0);
      (void)send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
      close(c);
    }
  }

  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> held_;
  std::thread thread_;
};

TEST(NetworkProbes, HttpStatusDecidesAndFailuresReadLikeKubelet) {
  LocalServer ok("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(HttpGetProbe("127.0.0.1", ok.port(), "/healthz", false, 1).success);
  LocalServer redirect("HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n");
  EXPECT_TRUE(HttpGetProbe("127.0.0.1", redirect.port(), "", false, 1).success);
  LocalServer broken("HTTP/1.1 503 Service Unavailable\r\n\r\n");
  ProbeOutcome out = HttpGetProbe("127.0.0.1", broken.port(), "/", false, 1);
  EXPECT_FALSE(out.success);
  EXPECT_EQ(out.output, "HTTP probe failed with statuscode: 503");
}

TEST(NetworkProbes, TimeoutsAndRefusedConnectionsFail) {
  LocalServer silent("");
  auto started = std::chrono::steady_clock::now();
  ProbeOutcome out = HttpGetProbe("127.0.0.1", silent.port(), "/", false, 1);
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(out.success);
  EXPECT_NE(out.output.find("context deadline exceeded"), std::string::npos) << out.output;
  EXPECT_GE(took, milliseconds(900));
  EXPECT_LT(took, milliseconds(3000));
  EXPECT_TRUE(TcpProbe("127.0.0.1", silent.port(), 1).success);

  int port;
  {
    LocalServer gone("x");
    port = gone.port();
  }
  out = TcpProbe("127.0.0.1", port, 1);
  EXPECT_FALSE(out.success);
  EXPECT_EQ(out.output, "dial tcp 127.0.0.1:" + std::to_string(port) +
                            ": connect: connection refused");
  out = HttpGetProbe("127.0.0.1", port, "/healthz", false, 1);
  EXPECT_EQ(out.output, "Get \"http://127.0.0.1:" + std::to_string(port) +
                            "/healthz\": dial tcp 127.0.0.1:" + std::to_string(port) +
                            ": connect: connection refused");
}

TEST(ExecProbes, ExitCodeDecidesAndTimeoutsAreNamed) {
  FakeClock clock(TimePoint(seconds(1700000000)));
  FakeRuntime runtime(clock);
  RuntimeProbeRunner runner(runtime);
  runtime.AddImage("busybox:1.36");
  runtime::SandboxConfig sandbox;
  sandbox.name = "web";
  sandbox.uid = "eci-1";
  StatusOr<std::string> sandbox_id = runtime.RunSandbox(sandbox);
  ASSERT_TRUE(sandbox_id.ok());
  runtime::ContainerConfig config;
  config.name = "app";
  config.image = "busybox:1.36";
  StatusOr<std::string> id = runtime.CreateContainer(*sandbox_id, config, sandbox);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(runtime.StartContainer(*id).ok());
  const std::string c1 = *id;
  core::ProbeSpec spec = ExecProbe();
  runtime.SetExecResult(runtime::ExecSyncResult{1, "", "cat: can't open '/tmp/healthy'\n"});
  ProbeOutcome out = runner.Run(spec, {c1, ""});
  EXPECT_FALSE(out.success);
  EXPECT_EQ(out.output, "cat: can't open '/tmp/healthy'");
  runtime.SetExecResult(runtime::ExecSyncResult{0, "", ""});
  EXPECT_TRUE(runner.Run(spec, {c1, ""}).success);
  runtime.SetExecResult(UnavailableError("exec in container c1 did not finish within its timeout"));
  out = runner.Run(spec, {c1, ""});
  EXPECT_EQ(out.output, "command \"cat /tmp/healthy\" timed out");
}

}  // namespace
}  // namespace openeci::controller
