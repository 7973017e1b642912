// Unit tests of the controller's decisions: phases, events, restart back-off, image pulls,
// restart, deletion and re-adoption after a crash. They drive Controller::Reconcile by hand
// (no worker threads) over the real SQLite store, the in-memory FakeRuntime and a FakeClock,
// so that back-off is tested by moving the clock rather than by sleeping.
//
// Every pass goes through ControllerTest::Reconcile, which also checks that the pass wrote the
// group at most once and that the phase it wrote is an edge of core::IsAllowedTransition: over
// the whole suite, every status the controller writes respects the state machine.
#include "controller/controller.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/ids.h"
#include "controller/fake_runtime.h"
#include "core/volumes.h"
#include "core/lifecycle.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::controller {
namespace {

namespace fs = std::filesystem;
using core::ContainerGroup;
using core::GroupPhase;
using core::PullPolicy;
using core::RestartPolicy;
using runtime::ContainerInfo;
using runtime::ContainerState;
using runtime::SandboxInfo;
using runtime::SandboxState;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kBusybox = "busybox:1.36";
constexpr const char* kPrivateImage = "registry.example.com/team/app:1";

core::ContainerSpec Container(const std::string& name, const std::string& image = kBusybox) {
  core::ContainerSpec c;
  c.name = name;
  c.image = image;
  c.command = {"sleep", "3600"};
  return c;
}

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "controller_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    StatusOr<std::unique_ptr<store::SqliteStore>> store =
        store::SqliteStore::Open(dir_ + "/openeci.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    watch_ = store_->Watch([this](const store::WatchEvent&) { ++writes_; });
    std::ofstream(dir_ + "/filesystems") << "nodev\ttmpfs\n\text4\n";
    volumes_ = std::make_unique<VolumeManager>(
        VolumeManagerOptions{dir_ + "/volumes", dir_ + "/filesystems"});
    controller_ = NewController();
    runtime_.AddImage(kBusybox);
  }

  void TearDown() override {
    controller_.reset();
    watch_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A controller over the same store, runtime and clock, as OpenECI builds it after a restart.
  std::unique_ptr<Controller> NewController(
      const std::function<void(ControllerOptions&)>& tweak = {}) {
    ControllerOptions options;
    options.retention = retention_;
    options.backoff_base = seconds(10);
    options.backoff_max = seconds(40);
    options.stop_grace = seconds(5);
    options.log_root = LogRoot();
    options.volumes = volumes_.get();
    if (tweak) tweak(options);
    return std::make_unique<Controller>(*store_, runtime_, clock_, options);
  }

  std::string LogRoot() const { return dir_ + "/logs"; }

  // Stores a new Pending group, as CreateContainerGroup does; returns its ID.
  std::string CreateGroup(RestartPolicy policy, std::vector<core::ContainerSpec> containers,
                          std::vector<core::RegistryCredential> credentials = {}) {
    ContainerGroup g;
    g.id = NewResourceId("eci");
    g.account_id = "1234567890";
    g.creation_time = Now();
    g.spec.name = "web";
    g.spec.region_id = "cn-hangzhou";
    g.spec.restart_policy = policy;
    g.spec.containers = std::move(containers);
    g.spec.credentials = std::move(credentials);
    std::string existing;
    StatusOr<int64_t> revision = store_->CreateGroup(g, std::nullopt, &existing);
    EXPECT_TRUE(revision.ok()) << revision.status().ToString();
    phases_[g.id] = g.status.phase;
    return g.id;
  }

  // One pass, as a worker runs it. Returns the requeue delay, or -1 ms when the pass failed.
  milliseconds Reconcile(const std::string& id) { return Reconcile(*controller_, id); }

  milliseconds Reconcile(Controller& controller, const std::string& id) {
    int writes_before = writes_;
    StatusOr<milliseconds> next = controller.Reconcile(id);
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    EXPECT_LE(writes_ - writes_before, 1) << "a pass writes the group at most once";
    StatusOr<ContainerGroup> g = store_->GetGroup(id);
    if (g.ok()) {
      ExpectTransition(id, g->status.phase);
    }
    return next.ok() ? *next : milliseconds(-1);
  }

  // Changes the stored group as the API would (desired state, or the phase it sets).
  void Mutate(const std::string& id, const std::function<void(ContainerGroup&)>& change) {
    ContainerGroup g = Group(id);
    change(g);
    StatusOr<int64_t> revision = store_->UpdateGroup(g, g.revision);
    ASSERT_TRUE(revision.ok()) << revision.status().ToString();
    ExpectTransition(id, g.status.phase);
  }

  void ExpectTransition(const std::string& id, GroupPhase to) {
    auto it = phases_.find(id);
    if (it != phases_.end()) {
      EXPECT_TRUE(core::IsAllowedTransition(it->second, to))
          << core::PhaseName(it->second) << " -> " << core::PhaseName(to);
    }
    phases_[id] = to;
  }

  ContainerGroup Group(const std::string& id) {
    StatusOr<ContainerGroup> g = store_->GetGroup(id);
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return g.ok() ? *g : ContainerGroup();
  }

  core::ContainerStatus StatusOf(const std::string& id, const std::string& name) {
    for (const core::ContainerStatus& cs : Group(id).status.containers) {
      if (cs.name == name) {
        return cs;
      }
    }
    ADD_FAILURE() << "no status of container " << name;
    return {};
  }

  std::vector<core::Event> Events(const std::string& id) {
    StatusOr<std::vector<core::Event>> events = store_->ListEvents(id);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    return events.ok() ? *events : std::vector<core::Event>();
  }

  // The reasons of the events about `object` (the group ID or "<id>.<container>"), oldest first.
  std::vector<std::string> Reasons(const std::string& id, const std::string& object) {
    std::vector<std::string> reasons;
    for (const core::Event& e : Events(id)) {
      if (e.name == object) {
        reasons.push_back(e.reason);
      }
    }
    return reasons;
  }

  // How many times an event with `reason` was recorded (merged events count each time).
  int CountEvents(const std::string& id, const std::string& reason) {
    int n = 0;
    for (const core::Event& e : Events(id)) {
      if (e.reason == reason) {
        n += e.count;
      }
    }
    return n;
  }

  ContainerInfo Latest(const std::string& id, const std::string& name) {
    std::vector<ContainerInfo> all = runtime_.ContainersNamed(id, name);
    EXPECT_FALSE(all.empty()) << "no container " << name;
    return all.empty() ? ContainerInfo() : all.back();
  }

  void Exit(const std::string& id, const std::string& name, int exit_code) {
    Status st = runtime_.ExitContainer(Latest(id, name).id, exit_code);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  std::vector<SandboxInfo> Sandboxes() {
    StatusOr<std::vector<SandboxInfo>> all = runtime_.ListSandboxes();
    EXPECT_TRUE(all.ok());
    return all.ok() ? *all : std::vector<SandboxInfo>();
  }

  // Builds a running group of `policy` and checks that it got there.
  std::string RunningGroup(RestartPolicy policy, std::vector<core::ContainerSpec> containers) {
    std::string id = CreateGroup(policy, std::move(containers));
    EXPECT_EQ(Reconcile(id), milliseconds(0));
    EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
    return id;
  }

  // The group finished in `phase` just now, with `name`'s last state Terminated(`exit_code`,
  // `reason`), and its sandbox released.
  void ExpectFinished(const std::string& id, GroupPhase phase, const std::string& name,
                      int exit_code, const std::string& reason) {
    ContainerGroup g = Group(id);
    EXPECT_EQ(g.status.phase, phase);
    EXPECT_EQ(g.status.failed_time, phase == GroupPhase::Failed ? Now() : 0);
    EXPECT_EQ(g.status.succeeded_time, phase == GroupPhase::Succeeded ? Now() : 0);
    core::ContainerStatus cs = StatusOf(id, name);
    EXPECT_EQ(cs.current.state, "Terminated");
    EXPECT_EQ(cs.current.exit_code, exit_code);
    EXPECT_EQ(cs.current.reason, reason);
    EXPECT_EQ(cs.current.finish_time, Now());
    EXPECT_FALSE(cs.ready);
    std::vector<SandboxInfo> sandboxes = Sandboxes();
    ASSERT_EQ(sandboxes.size(), 1u);
    EXPECT_EQ(sandboxes[0].state, SandboxState::kNotReady);
  }

  int64_t Now() const { return ToUnixMillis(clock_.Now()); }

  std::string dir_;
  FakeClock clock_{FromUnixMillis(1'700'000'000'000)};
  FakeRuntime runtime_{clock_};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<store::WatchHandle> watch_;
  // Volumes under the test's directory; the kernel it reports has no NFS.
  std::unique_ptr<VolumeManager> volumes_;
  std::unique_ptr<Controller> controller_;
  std::atomic<int> writes_{0};
  std::map<std::string, GroupPhase> phases_;  // the last phase seen of each group
  core::RetentionPolicy retention_;           // of the controllers NewController builds
};

TEST_F(ControllerTest, PendingGroupRunsAfterOnePass) {
  std::string id = CreateGroup(RestartPolicy::Always, {Container("app")});
  EXPECT_EQ(Reconcile(id), milliseconds(0));

  std::vector<SandboxInfo> sandboxes = Sandboxes();
  ASSERT_EQ(sandboxes.size(), 1u);
  const SandboxInfo& sb = sandboxes[0];
  EXPECT_EQ(sb.state, SandboxState::kReady);
  EXPECT_EQ(sb.labels.at(runtime::kGroupIdLabel), id);
  EXPECT_EQ(sb.labels.at(runtime::kGenerationLabel), "0");

  std::vector<ContainerInfo> containers = runtime_.ContainersNamed(id, "app");
  ASSERT_EQ(containers.size(), 1u);
  EXPECT_EQ(containers[0].attempt, 0u);
  EXPECT_EQ(containers[0].state, ContainerState::kRunning);
  EXPECT_EQ(containers[0].sandbox_id, sb.id);
  EXPECT_EQ(containers[0].log_path, LogRoot() + "/" + id + "/0/app/0.log");
  EXPECT_TRUE(fs::is_directory(LogRoot() + "/" + id + "/0"));

  ContainerGroup g = Group(id);
  EXPECT_EQ(g.status.phase, GroupPhase::Running);
  EXPECT_EQ(g.status.intranet_ip, sb.ip);
  EXPECT_EQ(g.status.intranet_ip, "10.0.0.2");
  ASSERT_EQ(g.status.containers.size(), 1u);
  const core::ContainerStatus& cs = g.status.containers[0];
  EXPECT_EQ(cs.name, "app");
  EXPECT_EQ(cs.current.state, "Running");
  EXPECT_EQ(cs.current.start_time, Now());
  EXPECT_TRUE(cs.ready);
  EXPECT_EQ(cs.restart_count, 0);

  EXPECT_EQ(Reasons(id, id + ".app"), (std::vector<std::string>{"Pulled", "Created", "Started"}));
  EXPECT_NE(Events(id)[0].message.find("already present"), std::string::npos);
  EXPECT_EQ(runtime_.calls().pull_image, 0);
}

TEST_F(ControllerTest, SandboxesAreSelectedByTheGroupLabel) {
  std::string a = CreateGroup(RestartPolicy::Always, {Container("app")});
  std::string b = CreateGroup(RestartPolicy::Always, {Container("app")});
  Reconcile(a);
  Reconcile(b);
  StatusOr<std::vector<SandboxInfo>> of_a =
      runtime_.ListSandboxesWithLabels({{runtime::kGroupIdLabel, a}});
  ASSERT_TRUE(of_a.ok()) << of_a.status().ToString();
  ASSERT_EQ(of_a->size(), 1u);
  EXPECT_EQ((*of_a)[0].labels.at(runtime::kGroupIdLabel), a);
  EXPECT_EQ(runtime_.ListSandboxesWithLabels({})->size(), 2u);
  EXPECT_TRUE(runtime_.ListSandboxesWithLabels({{runtime::kGroupIdLabel, "eci-none"}})->empty());
}

TEST_F(ControllerTest, MissingImageIsPulledBeforeTheContainerIsCreated) {
  std::string id = CreateGroup(RestartPolicy::Always, {Container("app", kPrivateImage)});
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
  EXPECT_EQ(Reasons(id, id + ".app"),
            (std::vector<std::string>{"Pulling", "Pulled", "Created", "Started"}));
  ASSERT_EQ(runtime_.Pulls().size(), 1u);
  EXPECT_EQ(runtime_.Pulls()[0].image, kPrivateImage);
  EXPECT_FALSE(runtime_.Pulls()[0].auth.has_value());
}

TEST_F(ControllerTest, SlowPullRecordsThrottledPullProgressEvents) {
  constexpr int64_t kMiB = 1 << 20;
  std::atomic<int> looks{0};
  controller_ = NewController([&looks](ControllerOptions& o) {
    o.pull_poll_interval = milliseconds(10);
    o.pull_progress_interval = milliseconds(100);
    o.pull_progress_budget = 4;
    // containerd's downloads as they would go: a 64 MiB layer growing by 1 MiB a look, a small
    // one that completes (vanishes) at the fifth look.
    o.pull_ingests = [&looks]() -> StatusOr<std::vector<runtime::IngestStatus>> {
      const int n = ++looks;
      std::vector<runtime::IngestStatus> active{
          {"layer-sha256:aaaa", std::min(n, 64) * kMiB, 64 * kMiB}};
      if (n < 5) active.push_back({"layer-sha256:bbbb", n * 1024, 8 * 1024});
      return active;
    };
  });
  runtime_.DelayPulls(milliseconds(700));
  std::string id = CreateGroup(RestartPolicy::Always, {Container("app", kPrivateImage)});
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_GE(looks.load(), 5);
  std::vector<std::string> progress;
  for (const core::Event& e : Events(id)) {
    if (e.reason == "PullProgress") progress.push_back(e.message);
  }
  ASSERT_GE(progress.size(), 2u);
  EXPECT_LE(progress.size(), 4u) << "the budget caps the events of one pull";
  const std::string prefix = "Pulling image \"" + std::string(kPrivateImage) + "\": ";
  // The stall detector reads the downloads too, so a poll may see more than one look's growth.
  EXPECT_EQ(progress[0].rfind(prefix + "layer 0 of 2 done, ", 0), 0u) << progress[0];
  EXPECT_TRUE(progress[0].ends_with(" MiB of 64.0 MiB")) << progress[0];
  EXPECT_EQ(progress[1].rfind(prefix + "layer 1 of 2 done, ", 0), 0u) << progress[1];
  std::vector<std::string> reasons = Reasons(id, id + ".app");
  EXPECT_EQ(reasons.front(), "Pulling");
  EXPECT_EQ(reasons[progress.size() + 1], "Pulled");
}

// Regression: a registry that stops answering mid-download left the pull (and the group's
// worker) hanging until CRI's 10 min deadline.
TEST_F(ControllerTest, StalledPullIsCancelledAndFailsLikeAnyFailedPull) {
  std::atomic<int> looks{0};
  std::vector<std::string> aborted;
  controller_ = NewController([&looks, &aborted](ControllerOptions& o) {
    o.pull_poll_interval = milliseconds(10);
    o.pull_stall_timeout = milliseconds(200);
    o.pull_abort_ingest = [&aborted](const std::string& ref) {
      aborted.push_back(ref);
      return Status::Ok();
    };
    // Nothing in flight before the pull, then one layer download stuck at 1 MiB of 8 MiB.
    o.pull_ingests = [&looks]() -> StatusOr<std::vector<runtime::IngestStatus>> {
      if (looks++ == 0) return std::vector<runtime::IngestStatus>{};
      return std::vector<runtime::IngestStatus>{{"layer-sha256:aaaa", 1 << 20, 8 << 20}};
    };
  });
  runtime_.DelayPulls(std::chrono::minutes(10));
  std::string id = CreateGroup(RestartPolicy::Always, {Container("app", kPrivateImage)});
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(Reconcile(id), seconds(10));
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(5));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Pending);
  core::ContainerStatus cs = StatusOf(id, "app");
  EXPECT_EQ(cs.current.reason, "ErrImagePull");
  EXPECT_NE(cs.current.message.find("no bytes received for 200 ms"), std::string::npos)
      << cs.current.message;
  bool named = false;
  for (const core::Event& e : Events(id)) {
    named = named || (e.reason == "Failed" && e.message.find(kPrivateImage) != std::string::npos &&
                      e.message.find("pull progress timeout") != std::string::npos);
  }
  EXPECT_TRUE(named) << "a Failed event names the image and the timeout";
  // Its partial download is dropped, so that the retry's download is its own (seen to stall).
  EXPECT_EQ(aborted, std::vector<std::string>{"layer-sha256:aaaa"});
}

TEST(PullStallDetectorTest, OnlyDownloadsInFlightThatStopMovingStall) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point t0{};
  using Ingests = std::vector<runtime::IngestStatus>;
  const Ingests left_over{{"layer-sha256:old", 500, 1000}};
  PullStallDetector stall(milliseconds(1000), left_over);
  // Resolving: only a partial download an earlier pull left behind is listed.
  EXPECT_FALSE(stall.Stalled(left_over, t0));
  EXPECT_FALSE(stall.Stalled(left_over, t0 + milliseconds(5000))) << "not this pull's";
  // This pull's download starts and moves, then stops.
  Ingests moving = {{"layer-sha256:old", 500, 1000}, {"layer-sha256:new", 10, 1000}};
  EXPECT_FALSE(stall.Stalled(moving, t0 + milliseconds(5100)));
  moving[1].offset = 20;
  EXPECT_FALSE(stall.Stalled(moving, t0 + milliseconds(5900)));
  EXPECT_FALSE(stall.Stalled(moving, t0 + milliseconds(6800)));
  EXPECT_TRUE(stall.Stalled(moving, t0 + milliseconds(6900))) << "1 s without a byte";
  // The left-over download resumed counts as this pull's.
  PullStallDetector resumed(milliseconds(1000), left_over);
  EXPECT_FALSE(resumed.Stalled({{"layer-sha256:old", 600, 1000}}, t0));
  EXPECT_TRUE(resumed.Stalled({{"layer-sha256:old", 600, 1000}}, t0 + milliseconds(1000)));
  // Unpacking (nothing in flight) never stalls.
  PullStallDetector unpacking(milliseconds(1000), {});
  EXPECT_FALSE(unpacking.Stalled({}, t0));
  EXPECT_FALSE(unpacking.Stalled({}, t0 + milliseconds(9000)));
  EXPECT_EQ(PullStallMessage(milliseconds(30000)),
            "no bytes received for 30 s (pull progress timeout), pull cancelled");
}

TEST(PullProgressThrottleTest, IntervalLayersAndBudget) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point t0{};
  PullProgressThrottle throttle(milliseconds(1000), 6);
  EXPECT_TRUE(throttle.Due(t0 + milliseconds(1), false));
  EXPECT_FALSE(throttle.Due(t0 + milliseconds(500), false));
  EXPECT_TRUE(throttle.Due(t0 + milliseconds(600), true)) << "a completed layer is shown";
  EXPECT_TRUE(throttle.Due(t0 + milliseconds(1600), false));
  EXPECT_FALSE(throttle.Due(t0 + milliseconds(2600), false)) << "past half: twice the wait";
  EXPECT_TRUE(throttle.Due(t0 + milliseconds(3600), false));
  EXPECT_TRUE(throttle.Due(t0 + milliseconds(7600), false));
  EXPECT_TRUE(throttle.Due(t0 + milliseconds(9000), true));
  EXPECT_FALSE(throttle.Due(t0 + milliseconds(99000), true)) << "budget spent";
  EXPECT_EQ(HumanBytes(512), "512 B");
  EXPECT_EQ(HumanBytes(12900000), "12.3 MiB");
}

TEST_F(ControllerTest, PullPolicyAlwaysPullsAPresentImage) {
  core::ContainerSpec app = Container("app");
  app.pull_policy = PullPolicy::Always;
  std::string id = CreateGroup(RestartPolicy::Always, {app});
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(runtime_.calls().pull_image, 1);
  EXPECT_EQ(Reasons(id, id + ".app"),
            (std::vector<std::string>{"Pulling", "Pulled", "Created", "Started"}));
}

TEST_F(ControllerTest, NeverPolicyFailureFailsTheGroupAndReleasesTheSandbox) {
  std::string id = RunningGroup(RestartPolicy::Never, {Container("app")});
  clock_.Advance(seconds(3));
  Exit(id, "app", 3);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  ExpectFinished(id, GroupPhase::Failed, "app", 3, "Error");

  // Terminal: the next pass releases the containers and the sandbox, and writes nothing.
  int64_t revision = Group(id).revision;
  FakeRuntime::Calls calls = runtime_.calls();
  size_t events = Events(id).size();
  clock_.Advance(seconds(60));
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).revision, revision);
  EXPECT_EQ(Events(id).size(), events);
  EXPECT_EQ(runtime_.calls().run_sandbox, calls.run_sandbox);
  EXPECT_EQ(runtime_.calls().create_container, calls.create_container);
  EXPECT_EQ(runtime_.ContainersNamed(id, "app").size(), 0u);
  EXPECT_EQ(runtime_.SandboxCount(), 0u);
  EXPECT_EQ(StatusOf(id, "app").current.exit_code, 3);  // the record keeps the final state
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).revision, revision);
}

// Retention: a finished group releases its runtime objects at once but keeps its record (final
// status, container states, events) until the reference's rules remove it.
TEST_F(ControllerTest, FinishedGroupReleasesItsContainersAndKeepsItsRecord) {
  std::string id = RunningGroup(RestartPolicy::Never, {Container("app"), Container("side")});
  clock_.Advance(seconds(2));
  Exit(id, "app", 0);
  Exit(id, "side", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Succeeded);
  EXPECT_EQ(Reconcile(id), milliseconds(0));  // woken by its own status write
  EXPECT_EQ(runtime_.SandboxCount(), 0u);
  EXPECT_TRUE(runtime_.ContainersNamed(id, "app").empty());
  EXPECT_TRUE(runtime_.ContainersNamed(id, "side").empty());
  ContainerGroup g = Group(id);
  ASSERT_EQ(g.status.containers.size(), 2u);
  for (const core::ContainerStatus& cs : g.status.containers) {
    EXPECT_EQ(cs.current.state, "Terminated") << cs.name;
    EXPECT_EQ(cs.current.reason, "Completed") << cs.name;
  }
  EXPECT_EQ(Reasons(id, id + ".app"), (std::vector<std::string>{"Pulled", "Created", "Started"}));
}

TEST_F(ControllerTest, RetentionRemovesAFailedGroupAfter24Hours) {
  std::string id = RunningGroup(RestartPolicy::Never, {Container("app")});
  Exit(id, "app", 1);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  ASSERT_EQ(Group(id).status.phase, GroupPhase::Failed);
  ASSERT_TRUE(fs::exists(LogRoot() + "/" + id));

  clock_.Advance(std::chrono::hours(24) - seconds(1));
  ASSERT_TRUE(controller_->SweepRetention().ok());
  EXPECT_TRUE(store_->GetGroup(id).ok());
  clock_.Advance(seconds(1));
  ASSERT_TRUE(controller_->SweepRetention().ok());
  EXPECT_EQ(store_->GetGroup(id).status().cls(), StatusClass::kNotFound);
  EXPECT_TRUE(store_->ListEvents(id)->empty());
  EXPECT_FALSE(fs::exists(LogRoot() + "/" + id));
}

TEST_F(ControllerTest, RetentionKeepsTheLatestSucceededGroupsOfTheAccount) {
  retention_.succeeded_per_account = 2;
  controller_ = NewController();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    std::string id = RunningGroup(RestartPolicy::Never, {Container("app")});
    clock_.Advance(seconds(10));
    Exit(id, "app", 0);
    EXPECT_EQ(Reconcile(id), milliseconds(0));
    ASSERT_EQ(Group(id).status.phase, GroupPhase::Succeeded);
    ids.push_back(id);
  }
  // The oldest one still had its (stopped) sandbox: the sweep removes that too.
  ASSERT_TRUE(controller_->SweepRetention().ok());
  EXPECT_EQ(store_->GetGroup(ids[0]).status().cls(), StatusClass::kNotFound);
  EXPECT_TRUE(runtime_.ContainersNamed(ids[0], "app").empty());
  EXPECT_TRUE(store_->GetGroup(ids[1]).ok());
  EXPECT_TRUE(store_->GetGroup(ids[2]).ok());
  clock_.Advance(std::chrono::hours(24 * 365));
  ASSERT_TRUE(controller_->SweepRetention().ok());
  EXPECT_TRUE(store_->GetGroup(ids[1]).ok());
  EXPECT_EQ(runtime_.SandboxCount(), 2u);  // the kept ones' sandboxes: released by their pass
}

TEST_F(ControllerTest, OnFailurePolicyExitZeroSucceeds) {
  std::string id = RunningGroup(RestartPolicy::OnFailure, {Container("app")});
  clock_.Advance(seconds(1));
  Exit(id, "app", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  ExpectFinished(id, GroupPhase::Succeeded, "app", 0, "Completed");
  EXPECT_EQ(runtime_.ContainersNamed(id, "app").size(), 1u);
}

TEST_F(ControllerTest, OomKilledIsReportedOncePerKillAndRestartedPerPolicy) {
  std::string id = RunningGroup(RestartPolicy::Always, {Container("app")});
  for (int kill = 1; kill <= 2; ++kill) {
    SCOPED_TRACE("kill " + std::to_string(kill));
    clock_.Advance(seconds(1));
    ASSERT_TRUE(runtime_.OomKillContainer(Latest(id, "app").id).ok());
    milliseconds wait = Reconcile(id);
    core::ContainerStatus cs = StatusOf(id, "app");
    EXPECT_EQ(cs.current.reason, "CrashLoopBackOff");
    EXPECT_EQ(cs.previous.state, "Terminated");
    EXPECT_EQ(cs.previous.reason, "OOMKilled");
    EXPECT_EQ(cs.previous.exit_code, 137);
    EXPECT_EQ(CountEvents(id, "OOMKilled"), kill);
    EXPECT_EQ(Reconcile(id), wait);  // a pass in the back-off says nothing more
    EXPECT_EQ(CountEvents(id, "OOMKilled"), kill);
    clock_.Advance(wait);
    EXPECT_EQ(Reconcile(id), milliseconds(0));
    cs = StatusOf(id, "app");
    EXPECT_EQ(cs.current.state, "Running");
    EXPECT_EQ(cs.previous.reason, "OOMKilled");
    EXPECT_EQ(cs.restart_count, kill);
  }
}

TEST_F(ControllerTest, OomKilledUnderNeverFailsTheGroupWithOneEvent) {
  std::string id = RunningGroup(RestartPolicy::Never, {Container("app")});
  clock_.Advance(seconds(1));
  ASSERT_TRUE(runtime_.OomKillContainer(Latest(id, "app").id).ok());
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  ExpectFinished(id, GroupPhase::Failed, "app", 137, "OOMKilled");
  Reconcile(id);
  EXPECT_EQ(CountEvents(id, "OOMKilled"), 1);
}

TEST_F(ControllerTest, AlwaysPolicyRestartsWithDoublingBackOffCappedAtMax) {
  std::string id = RunningGroup(RestartPolicy::Always, {Container("app")});
  const std::vector<seconds> expected = {seconds(10), seconds(20), seconds(40), seconds(40)};
  for (uint32_t attempt = 0; attempt < expected.size(); ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    clock_.Advance(seconds(1));
    Exit(id, "app", 1);
    EXPECT_EQ(Reconcile(id), expected[attempt]);

    core::ContainerStatus cs = StatusOf(id, "app");
    EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
    EXPECT_EQ(cs.current.state, "Waiting");
    EXPECT_EQ(cs.current.reason, "CrashLoopBackOff");
    EXPECT_EQ(cs.previous.state, "Terminated");
    EXPECT_EQ(cs.previous.exit_code, 1);
    EXPECT_EQ(cs.restart_count, static_cast<int>(attempt));
    EXPECT_FALSE(cs.ready);
    EXPECT_EQ(CountEvents(id, "BackOff"), static_cast<int>(attempt) + 1);

    // Passes during the back-off wait for what is left of it and change nothing.
    int writes = writes_;
    EXPECT_EQ(Reconcile(id), expected[attempt]);
    clock_.Advance(expected[attempt] / 2);
    EXPECT_EQ(Reconcile(id), expected[attempt] / 2);
    EXPECT_EQ(writes_, writes);
    EXPECT_EQ(CountEvents(id, "BackOff"), static_cast<int>(attempt) + 1);
    EXPECT_EQ(Latest(id, "app").attempt, attempt);

    clock_.Advance(expected[attempt] / 2);
    EXPECT_EQ(Reconcile(id), milliseconds(0));
    ContainerInfo next = Latest(id, "app");
    EXPECT_EQ(next.attempt, attempt + 1);
    EXPECT_EQ(next.state, ContainerState::kRunning);
    cs = StatusOf(id, "app");
    EXPECT_EQ(cs.current.state, "Running");
    EXPECT_EQ(cs.previous.state, "Terminated");
    EXPECT_EQ(cs.previous.exit_code, 1);
    EXPECT_EQ(cs.restart_count, static_cast<int>(attempt) + 1);
    EXPECT_TRUE(cs.ready);
    // Only the latest attempt and the one before it (its logs) are kept.
    EXPECT_LE(runtime_.ContainersNamed(id, "app").size(), 2u);
  }
  EXPECT_EQ(runtime_.calls().run_sandbox, 1);
}

TEST_F(ControllerTest, PullFailureBacksOffUntilThePullSucceeds) {
  runtime_.FailPulls("401 Unauthorized");
  std::string id = CreateGroup(RestartPolicy::Always, {Container("app", kPrivateImage)});
  EXPECT_EQ(Reconcile(id), seconds(10));
  ContainerGroup g = Group(id);
  EXPECT_EQ(g.status.phase, GroupPhase::Pending);
  core::ContainerStatus cs = StatusOf(id, "app");
  EXPECT_EQ(cs.current.state, "Waiting");
  EXPECT_EQ(cs.current.reason, "ErrImagePull");
  EXPECT_NE(cs.current.message.find("401 Unauthorized"), std::string::npos) << cs.current.message;
  int warnings = 0;
  for (const core::Event& e : Events(id)) {
    if (e.type == "Warning" && e.reason == "Failed") {
      ++warnings;
    }
  }
  EXPECT_GE(warnings, 1);
  EXPECT_EQ(CountEvents(id, "BackOff"), 0);
  EXPECT_EQ(runtime_.SandboxCount(), 0u);

  clock_.Advance(seconds(10));
  EXPECT_EQ(Reconcile(id), seconds(20));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Pending);
  EXPECT_EQ(StatusOf(id, "app").current.reason, "ImagePullBackOff");
  EXPECT_EQ(CountEvents(id, "BackOff"), 1);
  EXPECT_EQ(runtime_.calls().pull_image, 2);

  runtime_.FailPulls("");
  clock_.Advance(seconds(20));
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
  cs = StatusOf(id, "app");
  EXPECT_EQ(cs.current.state, "Running");
  EXPECT_TRUE(cs.ready);
  EXPECT_EQ(runtime_.calls().pull_image, 3);
}

// A status write wakes the controller up again at once (its own watch), so a pass during
// the pull back-off must not pull: otherwise the back-off only starts after the third failure.
TEST_F(ControllerTest, PassDuringPullBackOffDoesNotPull) {
  runtime_.FailPulls("401 Unauthorized");
  std::string id = CreateGroup(RestartPolicy::Always, {Container("app", kPrivateImage)});
  EXPECT_EQ(Reconcile(id), seconds(10));
  EXPECT_EQ(runtime_.calls().pull_image, 1);

  int writes = writes_;
  EXPECT_EQ(Reconcile(id), seconds(10));
  clock_.Advance(seconds(4));
  EXPECT_EQ(Reconcile(id), seconds(6));
  EXPECT_EQ(runtime_.calls().pull_image, 1);
  EXPECT_EQ(writes_, writes);
  EXPECT_EQ(StatusOf(id, "app").current.reason, "ErrImagePull");

  clock_.Advance(seconds(6));
  EXPECT_EQ(Reconcile(id), seconds(20));
  EXPECT_EQ(runtime_.calls().pull_image, 2);
}

TEST_F(ControllerTest, CredentialIsPassedOnlyToItsRegistry) {
  std::string id = CreateGroup(
      RestartPolicy::Always,
      {Container("app", kPrivateImage), Container("sidecar", "quay.io/team/sidecar:2")},
      {{"https://registry.example.com/", "alice", "secret"}, {"other.example.com", "bob", "pw"}});
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  std::vector<FakeRuntime::Pull> pulls = runtime_.Pulls();
  ASSERT_EQ(pulls.size(), 2u);
  EXPECT_EQ(pulls[0].image, kPrivateImage);
  ASSERT_TRUE(pulls[0].auth.has_value());
  EXPECT_EQ(pulls[0].auth->username, "alice");
  EXPECT_EQ(pulls[0].auth->password, "secret");
  EXPECT_EQ(pulls[1].image, "quay.io/team/sidecar:2");
  EXPECT_FALSE(pulls[1].auth.has_value());
}

TEST_F(ControllerTest, PullPolicyNeverWithMissingImageWaitsWithoutPulling) {
  core::ContainerSpec app = Container("app", kPrivateImage);
  app.pull_policy = PullPolicy::Never;
  std::string id = CreateGroup(RestartPolicy::Always, {app});
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Pending);
  core::ContainerStatus cs = StatusOf(id, "app");
  EXPECT_EQ(cs.current.state, "Waiting");
  EXPECT_EQ(cs.current.reason, "ErrImageNeverPull");
  EXPECT_EQ(runtime_.calls().pull_image, 0);
  EXPECT_EQ(runtime_.SandboxCount(), 0u);
  EXPECT_EQ(Reasons(id, id + ".app"), std::vector<std::string>{"ErrImageNeverPull"});
}

TEST_F(ControllerTest, RestartRebuildsTheSandboxUnderTheNewGeneration) {
  std::string id = RunningGroup(RestartPolicy::Always, {Container("app")});
  clock_.Advance(seconds(1));
  Exit(id, "app", 1);
  EXPECT_EQ(Reconcile(id), seconds(10));
  clock_.Advance(seconds(10));
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  ASSERT_EQ(StatusOf(id, "app").restart_count, 1);
  SandboxInfo old_sandbox = Sandboxes().at(0);

  Mutate(id, [](ContainerGroup& g) {
    g.restart_generation = 1;
    g.status.phase = GroupPhase::Restarting;
  });
  EXPECT_EQ(Reconcile(id), milliseconds(0));

  EXPECT_EQ(runtime_.calls().stop_timeouts, std::vector<int64_t>{5});
  std::vector<SandboxInfo> sandboxes = Sandboxes();
  ASSERT_EQ(sandboxes.size(), 1u);
  EXPECT_NE(sandboxes[0].id, old_sandbox.id);
  EXPECT_EQ(sandboxes[0].labels.at(runtime::kGenerationLabel), "1");
  ContainerGroup g = Group(id);
  EXPECT_EQ(g.status.phase, GroupPhase::Running);
  EXPECT_EQ(g.status.observed_generation, 1);
  EXPECT_EQ(g.status.intranet_ip, sandboxes[0].ip);
  EXPECT_NE(g.status.intranet_ip, old_sandbox.ip);
  core::ContainerStatus cs = StatusOf(id, "app");
  EXPECT_EQ(cs.restart_count, 0);
  EXPECT_EQ(cs.current.state, "Running");
  EXPECT_EQ(cs.previous, core::ContainerState());
  ContainerInfo app = Latest(id, "app");
  EXPECT_EQ(app.attempt, 0u);
  EXPECT_EQ(app.sandbox_id, sandboxes[0].id);
  EXPECT_EQ(CountEvents(id, "Killing"), 1);
  EXPECT_EQ(CountEvents(id, "Restarting"), 1);
  EXPECT_TRUE(fs::is_directory(LogRoot() + "/" + id + "/1"));
}

TEST_F(ControllerTest, DeleteRemovesRuntimeObjectsLogsAndRecord) {
  std::string id = RunningGroup(RestartPolicy::Always, {Container("app"), Container("sidecar")});
  ASSERT_TRUE(fs::is_directory(LogRoot() + "/" + id));
  Mutate(id, [](ContainerGroup& g) { g.deleting = true; });
  EXPECT_EQ(Reconcile(id), milliseconds(0));

  EXPECT_EQ(store_->GetGroup(id).status().cls(), StatusClass::kNotFound);
  EXPECT_EQ(runtime_.SandboxCount(), 0u);
  EXPECT_TRUE(runtime_.ContainersNamed(id, "app").empty());
  EXPECT_TRUE(runtime_.ContainersNamed(id, "sidecar").empty());
  EXPECT_EQ(runtime_.calls().stop_timeouts, (std::vector<int64_t>{5, 5}));
  EXPECT_EQ(runtime_.calls().remove_sandbox, 1);
  EXPECT_FALSE(fs::exists(LogRoot() + "/" + id));

  // A second pass (e.g. a stale queue entry) finds nothing to do.
  EXPECT_EQ(Reconcile(id), milliseconds(0));
}

// A sandbox whose creation was cut short (OpenECI SIGKILLed during RunSandbox) leaves cgroup
// directories but no sandbox: deleting the group must remove them all the same.
TEST_F(ControllerTest, DeleteRemovesPodCgroupsOfAGroupWithoutSandbox) {
  std::string id = CreateGroup(RestartPolicy::Always, {Container("app")});
  Mutate(id, [](ContainerGroup& g) { g.deleting = true; });
  EXPECT_EQ(Reconcile(id), milliseconds(0));

  EXPECT_EQ(store_->GetGroup(id).status().cls(), StatusClass::kNotFound);
  EXPECT_EQ(runtime_.calls().remove_sandbox, 0);
  EXPECT_EQ(runtime_.calls().removed_pod_cgroups, std::vector<std::string>{"/openeci/" + id});
}

TEST_F(ControllerTest, RestartedControllerReadoptsRunningGroup) {
  std::string id = RunningGroup(RestartPolicy::Always, {Container("app")});
  ContainerGroup before = Group(id);
  SandboxInfo sandbox = Sandboxes().at(0);
  FakeRuntime::Calls calls = runtime_.calls();
  size_t events = Events(id).size();

  controller_.reset();  // OpenECI dies; the runtime keeps running
  clock_.Advance(seconds(30));
  controller_ = NewController();
  EXPECT_EQ(Reconcile(id), milliseconds(0));

  ContainerGroup after = Group(id);
  EXPECT_EQ(after.revision, before.revision);
  EXPECT_EQ(after.status.intranet_ip, sandbox.ip);
  EXPECT_EQ(after.status.containers.at(0).restart_count, 0);
  ASSERT_EQ(Sandboxes().size(), 1u);
  EXPECT_EQ(Sandboxes()[0].id, sandbox.id);
  EXPECT_EQ(runtime_.calls().run_sandbox, calls.run_sandbox);
  EXPECT_EQ(runtime_.calls().create_container, calls.create_container);
  EXPECT_EQ(runtime_.calls().stop_container, calls.stop_container);
  EXPECT_EQ(Events(id).size(), events);
}

TEST_F(ControllerTest, RestartedControllerKeepsTheRemainingBackOff) {
  std::string id = RunningGroup(RestartPolicy::Always, {Container("app")});
  Exit(id, "app", 1);
  EXPECT_EQ(Reconcile(id), seconds(10));
  controller_.reset();
  clock_.Advance(seconds(4));
  controller_ = NewController();
  EXPECT_EQ(Reconcile(id), seconds(6));
  EXPECT_EQ(runtime_.ContainersNamed(id, "app").size(), 1u);
  EXPECT_EQ(CountEvents(id, "BackOff"), 1);
}

TEST_F(ControllerTest, RestartedControllerStartsAContainerCreatedButNotStarted) {
  std::string id = RunningGroup(RestartPolicy::Always, {Container("app")});
  Exit(id, "app", 1);
  EXPECT_EQ(Reconcile(id), seconds(10));
  // OpenECI died between CreateContainer and StartContainer of the restart.
  controller_.reset();
  clock_.Advance(seconds(10));
  runtime::ContainerConfig config;
  config.name = "app";
  config.attempt = 1;
  config.image = kBusybox;
  config.labels = {{runtime::kGroupIdLabel, id}, {runtime::kContainerNameLabel, "app"}};
  ASSERT_TRUE(runtime_.CreateContainer(Sandboxes().at(0).id, config, {}).ok());

  controller_ = NewController();
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  ContainerInfo app = Latest(id, "app");
  EXPECT_EQ(app.attempt, 1u);
  EXPECT_EQ(app.state, ContainerState::kRunning);
  core::ContainerStatus cs = StatusOf(id, "app");
  EXPECT_EQ(cs.current.state, "Running");
  EXPECT_EQ(cs.restart_count, 1);
  EXPECT_EQ(cs.previous.exit_code, 1);
}

// The first pass's status write can be lost (OpenECI died after RunSandbox, or an API write won
// the compare-and-swap); the next pass adopts the sandbox and must still report its IP.
TEST_F(ControllerTest, PassAfterALostStatusWriteReportsTheAdoptedSandbox) {
  std::string id = CreateGroup(RestartPolicy::Always, {Container("app")});
  const core::GroupStatus initial = Group(id).status;
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  Mutate(id, [&](ContainerGroup& g) { g.status = initial; });

  EXPECT_EQ(Reconcile(id), milliseconds(0));
  ContainerGroup g = Group(id);
  EXPECT_EQ(g.status.phase, GroupPhase::Running);
  EXPECT_EQ(g.status.intranet_ip, Sandboxes().at(0).ip);
  EXPECT_EQ(StatusOf(id, "app").current.state, "Running");
  EXPECT_EQ(runtime_.calls().run_sandbox, 1);
  EXPECT_EQ(runtime_.calls().create_container, 1);
}

TEST_F(ControllerTest, VanishedSandboxWhosePullFailsGoesBackToPending) {
  core::ContainerSpec app = Container("app");
  app.pull_policy = PullPolicy::Always;
  std::string id = RunningGroup(RestartPolicy::Always, {app});
  runtime_.KillSandbox(Sandboxes().at(0).id);
  runtime_.FailPulls("503 Service Unavailable");
  EXPECT_EQ(Reconcile(id), seconds(10));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Pending);
  EXPECT_EQ(StatusOf(id, "app").current.reason, "ErrImagePull");

  runtime_.FailPulls("");
  clock_.Advance(seconds(10));
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
  EXPECT_EQ(Group(id).status.intranet_ip, Sandboxes().at(0).ip);
}

TEST_F(ControllerTest, OrphanedSandboxIsRemoved) {
  std::string live = RunningGroup(RestartPolicy::Always, {Container("app")});
  std::string orphan = NewResourceId("eci");
  runtime::SandboxConfig config;
  config.name = "gone";
  config.uid = orphan;
  config.labels = {{runtime::kGroupIdLabel, orphan}, {runtime::kGenerationLabel, "0"}};
  StatusOr<std::string> sandbox = runtime_.RunSandbox(config);
  ASSERT_TRUE(sandbox.ok());
  runtime::ContainerConfig container;
  container.name = "app";
  container.image = kBusybox;
  container.labels = {{runtime::kGroupIdLabel, orphan}, {runtime::kContainerNameLabel, "app"}};
  ASSERT_TRUE(runtime_.CreateContainer(*sandbox, container, config).ok());
  ASSERT_EQ(runtime_.SandboxCount(), 2u);

  EXPECT_EQ(Reconcile(orphan), milliseconds(0));
  ASSERT_EQ(Sandboxes().size(), 1u);
  EXPECT_EQ(Sandboxes()[0].labels.at(runtime::kGroupIdLabel), live);
  EXPECT_TRUE(runtime_.ContainersNamed(orphan, "app").empty());
  EXPECT_EQ(runtime_.ContainersNamed(live, "app").size(), 1u);
  EXPECT_EQ(runtime_.calls().removed_pod_cgroups, std::vector<std::string>{"/openeci/" + orphan});
}

TEST_F(ControllerTest, VanishedSandboxIsRebuilt) {
  std::string id = RunningGroup(RestartPolicy::Always, {Container("app")});
  SandboxInfo old_sandbox = Sandboxes().at(0);
  runtime_.KillSandbox(old_sandbox.id);

  EXPECT_EQ(Reconcile(id), milliseconds(0));
  std::vector<SandboxInfo> sandboxes = Sandboxes();
  ASSERT_EQ(sandboxes.size(), 1u);
  EXPECT_NE(sandboxes[0].id, old_sandbox.id);
  ContainerGroup g = Group(id);
  EXPECT_EQ(g.status.phase, GroupPhase::Running);
  EXPECT_EQ(g.status.intranet_ip, sandboxes[0].ip);
  EXPECT_EQ(Reasons(id, id), std::vector<std::string>{"SandboxChanged"});
  ContainerInfo app = Latest(id, "app");
  EXPECT_EQ(app.sandbox_id, sandboxes[0].id);
  EXPECT_EQ(app.state, ContainerState::kRunning);
  EXPECT_EQ(StatusOf(id, "app").current.state, "Running");
}

TEST_F(ControllerTest, StoppedSandboxOfARunningGroupIsReplaced) {
  std::string id = RunningGroup(RestartPolicy::Always, {Container("app")});
  SandboxInfo old_sandbox = Sandboxes().at(0);
  ASSERT_TRUE(runtime_.StopSandbox(old_sandbox.id).ok());  // e.g. its network died

  EXPECT_EQ(Reconcile(id), milliseconds(0));
  std::vector<SandboxInfo> sandboxes = Sandboxes();
  ASSERT_EQ(sandboxes.size(), 1u);
  EXPECT_NE(sandboxes[0].id, old_sandbox.id);
  EXPECT_EQ(sandboxes[0].state, SandboxState::kReady);
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
  EXPECT_EQ(Latest(id, "app").state, ContainerState::kRunning);
}

TEST_F(ControllerTest, NeverPolicyGroupRunsUntilEveryContainerExited) {
  std::string id = RunningGroup(RestartPolicy::Never, {Container("init"), Container("app")});
  clock_.Advance(seconds(1));
  Exit(id, "init", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
  EXPECT_EQ(StatusOf(id, "init").current.state, "Terminated");
  EXPECT_EQ(StatusOf(id, "init").current.reason, "Completed");
  EXPECT_EQ(StatusOf(id, "app").current.state, "Running");
  EXPECT_EQ(runtime_.ContainersNamed(id, "init").size(), 1u);

  clock_.Advance(seconds(1));
  Exit(id, "app", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  ExpectFinished(id, GroupPhase::Succeeded, "app", 0, "Completed");
}

TEST_F(ControllerTest, NeverPolicyGroupFailsWhenOneContainerFailed) {
  std::string id = RunningGroup(RestartPolicy::Never, {Container("init"), Container("app")});
  Exit(id, "init", 2);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
  Exit(id, "app", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  ExpectFinished(id, GroupPhase::Failed, "app", 0, "Completed");
  EXPECT_EQ(StatusOf(id, "init").current.exit_code, 2);
}


// --- Probes, grace period and active deadline -----------------------------------------------
// Exec probes run through the controller's own RuntimeProbeRunner into FakeRuntime::ExecSync;
// the tests drive the probe workers with Prober::RunDue on the fake clock.

core::ContainerSpec Probed(const std::string& name) {
  core::ContainerSpec c = Container(name);
  c.readiness_probe.exec_command = {"cat", "/tmp/ready"};
  c.readiness_probe.initial_delay_seconds = 5;
  c.readiness_probe.period_seconds = 2;
  c.readiness_probe.failure_threshold = 2;
  return c;
}

TEST_F(ControllerTest, ReadinessProbeDrivesReady) {
  std::string id = RunningGroup(RestartPolicy::Always, {Probed("app")});
  EXPECT_FALSE(StatusOf(id, "app").ready) << "not ready before the first successful probe";
  EXPECT_FALSE(Group(id).status.ready);
  EXPECT_EQ(controller_->prober().RunDue(), 0) << "InitialDelaySeconds not over";
  clock_.Advance(seconds(5));
  EXPECT_EQ(controller_->prober().RunDue(), 1);
  EXPECT_EQ(controller_->QueueLength(), 1u) << "a changed result queues the group";
  Reconcile(id);
  EXPECT_TRUE(StatusOf(id, "app").ready);
  EXPECT_TRUE(Group(id).status.ready);

  runtime_.SetExecResult(runtime::ExecSyncResult{1, "", "cat: can't open '/tmp/ready'\n"});
  for (int i = 0; i < 2; ++i) {
    clock_.Advance(seconds(2));
    EXPECT_EQ(controller_->prober().RunDue(), 1);
  }
  Reconcile(id);
  EXPECT_FALSE(StatusOf(id, "app").ready);
  EXPECT_FALSE(Group(id).status.ready);
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running) << "readiness never restarts";
  EXPECT_EQ(CountEvents(id, "Unhealthy"), 2);
  EXPECT_EQ(Events(id).back().message, "Readiness probe failed: cat: can't open '/tmp/ready'");
  EXPECT_EQ(Events(id).back().type, "Warning");
}

TEST_F(ControllerTest, ContainerWithoutReadinessProbeIsReadyOnceRunning) {
  std::string id = RunningGroup(RestartPolicy::Always, {Container("app")});
  EXPECT_TRUE(StatusOf(id, "app").ready);
  EXPECT_TRUE(Group(id).status.ready);
  EXPECT_EQ(controller_->prober().WorkerCount(), 0u);
}

core::ContainerSpec Live(const std::string& name) {
  core::ContainerSpec c = Container(name);
  c.liveness_probe.exec_command = {"cat", "/tmp/healthy"};
  c.liveness_probe.period_seconds = 1;
  c.liveness_probe.failure_threshold = 2;
  return c;
}

// Fails the liveness probe of the running container FailureThreshold (2) times.
void FailLiveness(FakeClock& clock, Controller& controller, FakeRuntime& runtime) {
  runtime.SetExecResult(runtime::ExecSyncResult{1, "", "cat: can't open '/tmp/healthy'\n"});
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(controller.prober().RunDue(), 1);
    clock.Advance(seconds(1));
  }
}

TEST_F(ControllerTest, LivenessFailureKillsWithTheGracePeriodAndRestarts) {
  std::string id = CreateGroup(RestartPolicy::Always, {Live("app")});
  Mutate(id, [](ContainerGroup& g) { g.spec.termination_grace_period_seconds = 7; });
  Reconcile(id);
  std::string first = Latest(id, "app").id;
  FailLiveness(clock_, *controller_, runtime_);
  runtime_.SetExecResult(runtime::ExecSyncResult{0, "", ""});
  Reconcile(id);

  EXPECT_EQ(runtime_.calls().stop_timeouts, std::vector<int64_t>{7});
  ContainerInfo latest = Latest(id, "app");
  EXPECT_NE(latest.id, first);
  EXPECT_EQ(latest.attempt, 1u);
  EXPECT_EQ(latest.state, ContainerState::kRunning);
  core::ContainerStatus cs = StatusOf(id, "app");
  EXPECT_EQ(cs.restart_count, 1);
  EXPECT_EQ(cs.previous.state, "Terminated");
  EXPECT_EQ(cs.previous.exit_code, 137);
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
  EXPECT_EQ(CountEvents(id, "Unhealthy"), 2);
  EXPECT_EQ(CountEvents(id, "Started"), 2);  // merged events: the same message twice
  bool killing_message = false;
  for (const core::Event& e : Events(id)) {
    killing_message |= e.reason == "Killing" &&
                       e.message == "Container app failed liveness probe, will be restarted";
  }
  EXPECT_TRUE(killing_message);
  // The killed container's worker is gone; the new attempt has its own, with fresh counts.
  EXPECT_FALSE(controller_->prober().StatusOf(first, ProbeKind::kLiveness).has_value());
  std::optional<ProbeStatus> fresh = controller_->prober().StatusOf(latest.id, ProbeKind::kLiveness);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->probes_run, 0);
}

TEST_F(ControllerTest, LivenessFailureUnderNeverFailsTheGroup) {
  std::string id = RunningGroup(RestartPolicy::Never, {Live("app")});
  FailLiveness(clock_, *controller_, runtime_);
  Reconcile(id);
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Failed);
  EXPECT_EQ(runtime_.ContainersNamed(id, "app").size(), 1u);
  EXPECT_EQ(StatusOf(id, "app").current.exit_code, 137);
  EXPECT_EQ(controller_->prober().WorkerCount(), 0u);
}

TEST_F(ControllerTest, DeleteStopsWithTheGroupsGracePeriodOrTheNodeDefault) {
  std::string id = CreateGroup(RestartPolicy::Always, {Container("app")});
  Mutate(id, [](ContainerGroup& g) { g.spec.termination_grace_period_seconds = 12; });
  Reconcile(id);
  std::string other = RunningGroup(RestartPolicy::Always, {Container("app")});
  Mutate(id, [](ContainerGroup& g) { g.deleting = true; });
  Reconcile(id);
  Mutate(other, [](ContainerGroup& g) { g.deleting = true; });
  Reconcile(other);
  EXPECT_EQ(runtime_.calls().stop_timeouts, (std::vector<int64_t>{12, 5}));
}

TEST_F(ControllerTest, RestartStopsWithTheGroupsGracePeriodAndForgetsItsProbes) {
  std::string id = CreateGroup(RestartPolicy::Always, {Live("app")});
  Mutate(id, [](ContainerGroup& g) { g.spec.termination_grace_period_seconds = 9; });
  Reconcile(id);
  EXPECT_EQ(controller_->prober().WorkerCount(), 1u);
  std::string first = Latest(id, "app").id;
  Mutate(id, [](ContainerGroup& g) { g.restart_generation++; });
  Reconcile(id);
  EXPECT_EQ(runtime_.calls().stop_timeouts, std::vector<int64_t>{9});
  EXPECT_FALSE(controller_->prober().StatusOf(first, ProbeKind::kLiveness).has_value());
  EXPECT_TRUE(controller_->prober().StatusOf(Latest(id, "app").id, ProbeKind::kLiveness));
}

TEST_F(ControllerTest, ActiveDeadlineStopsTheGroupAndFailsIt) {
  std::string id = CreateGroup(RestartPolicy::Always, {Probed("app")});
  Mutate(id, [](ContainerGroup& g) { g.spec.active_deadline_seconds = 30; });
  EXPECT_EQ(Reconcile(id), milliseconds(30000));
  EXPECT_EQ(Group(id).status.start_time, Now());
  EXPECT_EQ(controller_->prober().WorkerCount(), 1u);
  clock_.Advance(seconds(10));
  EXPECT_EQ(Reconcile(id), milliseconds(20000));
  clock_.Advance(seconds(20));
  EXPECT_EQ(Reconcile(id), milliseconds(0));

  ContainerGroup g = Group(id);
  EXPECT_EQ(g.status.phase, GroupPhase::Failed);
  EXPECT_EQ(g.status.failed_time, Now());
  EXPECT_EQ(g.status.reason, "DeadlineExceeded");
  EXPECT_EQ(g.status.message, "Pod was active on the node longer than the specified deadline");
  EXPECT_EQ(runtime_.calls().stop_timeouts, std::vector<int64_t>{5});
  core::ContainerStatus cs = StatusOf(id, "app");
  EXPECT_EQ(cs.current.state, "Terminated");
  EXPECT_EQ(cs.current.exit_code, 137);
  EXPECT_FALSE(cs.ready);
  EXPECT_EQ(Sandboxes().at(0).state, SandboxState::kNotReady);
  EXPECT_EQ(controller_->prober().WorkerCount(), 0u);
  std::vector<std::string> reasons = Reasons(id, id);
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(CountEvents(id, "DeadlineExceeded"), 1);
  int created = runtime_.calls().create_container;
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Failed);
  // The finished group's containers are released (retention), never restarted.
  EXPECT_TRUE(runtime_.ContainersNamed(id, "app").empty());
  EXPECT_EQ(runtime_.calls().create_container, created) << "never restarted";
}

// --- Init containers and volumes ------------------------------------------------------------

class InitContainerTest : public ControllerTest {
 protected:
  std::string CreateWithInit(RestartPolicy policy) {
    std::string id = CreateGroup(policy, {Container("app")});
    Mutate(id, [](ContainerGroup& g) {
      g.spec.init_containers = {Container("first"), Container("second")};
    });
    return id;
  }

  // The mounts the latest attempt of container `name` of group `id` was created with.
  std::vector<runtime::Mount> MountsOf(const std::string& id, const std::string& name) {
    uint32_t attempt = Latest(id, name).attempt;
    for (const runtime::ContainerConfig& cc : runtime_.ContainerConfigs()) {
      if (cc.labels.at(runtime::kGroupIdLabel) == id && cc.name == name && cc.attempt == attempt) {
        return cc.mounts;
      }
    }
    ADD_FAILURE() << "no container config of " << name;
    return {};
  }

  core::ContainerStatus InitStatusOf(const std::string& id, const std::string& name) {
    for (const core::ContainerStatus& cs : Group(id).status.init_containers) {
      if (cs.name == name) return cs;
    }
    ADD_FAILURE() << "no status of init container " << name;
    return {};
  }
};

TEST_F(InitContainerTest, RunOneAtATimeInOrderBeforeAnyContainer) {
  std::string id = CreateWithInit(RestartPolicy::Always);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Pending);
  EXPECT_EQ(runtime_.ContainersNamed(id, "first").size(), 1u);
  EXPECT_TRUE(runtime_.ContainersNamed(id, "second").empty());
  EXPECT_TRUE(runtime_.ContainersNamed(id, "app").empty());
  EXPECT_EQ(InitStatusOf(id, "first").current.state, "Running");
  EXPECT_EQ(InitStatusOf(id, "second").current.reason, "PodInitializing");
  EXPECT_EQ(StatusOf(id, "app").current.reason, "PodInitializing");

  clock_.Advance(seconds(1));
  Exit(id, "first", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Pending);
  EXPECT_EQ(InitStatusOf(id, "first").current.reason, "Completed");
  EXPECT_TRUE(InitStatusOf(id, "first").ready);
  EXPECT_EQ(InitStatusOf(id, "second").current.state, "Running");
  EXPECT_TRUE(runtime_.ContainersNamed(id, "app").empty());

  clock_.Advance(seconds(1));
  Exit(id, "second", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
  EXPECT_EQ(StatusOf(id, "app").current.state, "Running");
  // A successful init container is not started again, even under RestartPolicy Always.
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(runtime_.ContainersNamed(id, "first").size(), 1u);
  EXPECT_EQ(runtime_.ContainersNamed(id, "second").size(), 1u);
  EXPECT_EQ(Reasons(id, id + ".first"),
            (std::vector<std::string>{"Pulled", "Created", "Started"}));
}

TEST_F(InitContainerTest, FailedInitContainerIsRetriedWithBackOff) {
  std::string id = CreateWithInit(RestartPolicy::OnFailure);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  Exit(id, "first", 1);
  EXPECT_EQ(Reconcile(id), milliseconds(10000));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Pending);
  core::ContainerStatus first = InitStatusOf(id, "first");
  EXPECT_EQ(first.current.reason, "CrashLoopBackOff");
  EXPECT_EQ(first.previous.exit_code, 1);
  EXPECT_EQ(CountEvents(id, "BackOff"), 1);
  EXPECT_TRUE(runtime_.ContainersNamed(id, "second").empty());

  clock_.Advance(seconds(10));
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Latest(id, "first").attempt, 1u);
  EXPECT_EQ(InitStatusOf(id, "first").restart_count, 1);
  Exit(id, "first", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(InitStatusOf(id, "second").current.state, "Running");
  Exit(id, "second", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
}

TEST_F(InitContainerTest, NeverPolicyFailsTheGroupWithTheExitCode) {
  std::string id = CreateWithInit(RestartPolicy::Never);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  clock_.Advance(seconds(2));
  Exit(id, "first", 7);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  ContainerGroup g = Group(id);
  EXPECT_EQ(g.status.phase, GroupPhase::Failed);
  EXPECT_EQ(g.status.failed_time, Now());
  core::ContainerStatus first = InitStatusOf(id, "first");
  EXPECT_EQ(first.current.state, "Terminated");
  EXPECT_EQ(first.current.exit_code, 7);
  EXPECT_EQ(InitStatusOf(id, "second").current.reason, "PodInitializing");
  EXPECT_EQ(StatusOf(id, "app").current.reason, "PodInitializing");
  EXPECT_TRUE(runtime_.ContainersNamed(id, "app").empty());
  EXPECT_EQ(Sandboxes().at(0).state, SandboxState::kNotReady);
  bool said_why = false;
  for (const core::Event& e : Events(id)) {
    said_why |= e.type == "Warning" && e.message.find("exited with code 7") != std::string::npos;
  }
  EXPECT_TRUE(said_why);
}

TEST_F(InitContainerTest, ProgressSurvivesAnOpenEciRestartAndANewSandboxRunsThemAgain) {
  std::string id = CreateWithInit(RestartPolicy::Always);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  Exit(id, "first", 0);

  // A new controller knows nothing in memory: containerd's labels say "first" is done.
  controller_ = NewController();
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(runtime_.ContainersNamed(id, "first").size(), 1u);
  EXPECT_EQ(InitStatusOf(id, "second").current.state, "Running");
  Exit(id, "second", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);

  // The sandbox vanishes: the new one runs the init containers again, first of all.
  runtime_.KillSandbox(Sandboxes().at(0).id);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Pending);
  EXPECT_EQ(runtime_.ContainersNamed(id, "first").size(), 1u);
  EXPECT_EQ(Latest(id, "first").state, ContainerState::kRunning);
  EXPECT_TRUE(runtime_.ContainersNamed(id, "app").empty());

  // So does RestartContainerGroup.
  Exit(id, "first", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  Exit(id, "second", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
  Mutate(id, [](ContainerGroup& g) { g.restart_generation = 1; });
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Restarting);
  EXPECT_EQ(Latest(id, "first").state, ContainerState::kRunning);
  EXPECT_TRUE(runtime_.ContainersNamed(id, "app").empty());
}

TEST_F(InitContainerTest, VolumesAreSharedAndRemovedWithTheGroup) {
  std::string id = CreateWithInit(RestartPolicy::Always);
  Mutate(id, [](ContainerGroup& g) {
    core::VolumeSpec v;
    v.name = "work";
    v.type = core::kEmptyDirVolume;
    g.spec.volumes = {v};
    g.spec.init_containers[0].volume_mounts = {{"work", "/out", "", false, ""}};
    g.spec.containers[0].volume_mounts = {{"work", "/in", "sub", true, "HostToContainer"}};
  });
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  std::string dir = volumes_->VolumeDir(id, "work");
  EXPECT_TRUE(fs::is_directory(dir));
  std::vector<runtime::Mount> mounts = MountsOf(id, "first");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].host_path, dir);
  EXPECT_EQ(mounts[0].container_path, "/out");
  EXPECT_TRUE(runtime_.ContainersNamed(id, "second").empty());
  Exit(id, "first", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_TRUE(MountsOf(id, "second").empty()) << "second mounts nothing";
  Exit(id, "second", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  mounts = MountsOf(id, "app");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].host_path, fs::canonical(dir).string() + "/sub");
  EXPECT_TRUE(mounts[0].read_only);
  EXPECT_EQ(mounts[0].propagation, runtime::Mount::Propagation::kHostToContainer);

  Mutate(id, [](ContainerGroup& g) { g.deleting = true; });
  StatusOr<milliseconds> next = controller_->Reconcile(id);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_FALSE(fs::exists(volumes_->GroupDir(id)));
}

TEST_F(InitContainerTest, NfsOnAKernelWithoutNfsKeepsTheGroupPendingWithFailedMount) {
  std::string id = CreateGroup(RestartPolicy::Always, {Container("app")});
  Mutate(id, [](ContainerGroup& g) {
    core::VolumeSpec v;
    v.name = "share";
    v.type = core::kNfsVolume;
    v.nfs_server = "127.0.0.1";
    v.nfs_path = "/export";
    g.spec.volumes = {v};
    g.spec.containers[0].volume_mounts = {{"share", "/share", "", false, ""}};
  });
  EXPECT_EQ(Reconcile(id), milliseconds(10000));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Pending);
  EXPECT_EQ(StatusOf(id, "app").current.reason, "ContainerCreating");
  EXPECT_TRUE(Sandboxes().empty());
  std::vector<core::Event> events = Events(id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "Warning");
  EXPECT_EQ(events[0].reason, "FailedMount");
  EXPECT_NE(events[0].message.find("the kernel of this node does not support NFS (no nfs in "),
            std::string::npos)
      << events[0].message;
  clock_.Advance(seconds(10));
  EXPECT_EQ(Reconcile(id), milliseconds(20000)) << "the back-off doubles";
  EXPECT_EQ(CountEvents(id, "FailedMount"), 2);
}

// Operations metrics: the observer hears every pull with its result, and nothing else.
TEST_F(ControllerTest, PullObserverHearsEveryPullWithItsResult) {
  struct Heard : PullObserver {
    void OnImagePull(PullSource source, bool ok, double seconds) override {
      EXPECT_EQ(source, PullSource::kContainerGroup);
      EXPECT_GE(seconds, 0);
      results.push_back(ok);
    }
    std::vector<bool> results;
  } heard;
  ControllerOptions options;
  options.backoff_base = seconds(10);
  options.log_root = LogRoot();
  options.pull_observer = &heard;
  Controller controller(*store_, runtime_, clock_, options);
  std::string present = CreateGroup(RestartPolicy::Always, {Container("app", kBusybox)});
  Reconcile(controller, present);
  EXPECT_TRUE(heard.results.empty());  // IfNotPresent and present: no pull
  runtime_.FailPulls("401 Unauthorized");
  std::string id = CreateGroup(RestartPolicy::Always, {Container("app", kPrivateImage)});
  Reconcile(controller, id);
  runtime_.FailPulls("");
  clock_.Advance(seconds(10));
  Reconcile(controller, id);
  EXPECT_EQ(heard.results, (std::vector<bool>{false, true}));
}

}  // namespace
}  // namespace openeci::controller

namespace openeci::controller {
namespace {

// UpdateContainerGroup as the API writes it: the new spec, the next generation, Updating.
void WriteUpdate(ContainerGroup& g, std::vector<core::ContainerSpec> containers) {
  g.spec.containers = std::move(containers);
  g.restart_generation += 1;
  g.status.phase = GroupPhase::Updating;
}

TEST_F(ControllerTest, UpdateRebuildsTheGroupWithTheNewSpec) {
  std::string id = RunningGroup(RestartPolicy::Always, {Container("app"), Container("old")});
  SandboxInfo old_sandbox = Sandboxes().at(0);
  runtime_.AddImage("busybox:2");
  Mutate(id, [](ContainerGroup& g) {
    WriteUpdate(g, {Container("app", "busybox:2"), Container("added")});
  });
  EXPECT_EQ(Reconcile(id), milliseconds(0));

  std::vector<SandboxInfo> sandboxes = Sandboxes();
  ASSERT_EQ(sandboxes.size(), 1u);
  EXPECT_NE(sandboxes[0].id, old_sandbox.id);
  EXPECT_EQ(sandboxes[0].labels.at(runtime::kGenerationLabel), "1");
  EXPECT_EQ(Latest(id, "app").image, "busybox:2");
  EXPECT_EQ(Latest(id, "app").sandbox_id, sandboxes[0].id);
  EXPECT_EQ(Latest(id, "added").sandbox_id, sandboxes[0].id);
  EXPECT_TRUE(runtime_.ContainersNamed(id, "old").empty());
  ContainerGroup g = Group(id);
  EXPECT_EQ(g.status.phase, GroupPhase::Running);
  EXPECT_EQ(g.status.observed_generation, 1);
  ASSERT_EQ(g.status.containers.size(), 2u);
  EXPECT_EQ(g.status.containers[0].name, "app");
  EXPECT_EQ(g.status.containers[1].name, "added");
  EXPECT_EQ(CountEvents(id, "Updating"), 1);
  EXPECT_EQ(CountEvents(id, "Restarting"), 0);
  EXPECT_EQ(CountEvents(id, "Killing"), 2);
}

TEST_F(ControllerTest, UpdateToAnUnpullableImageLeavesTheGroupPending) {
  std::string id = RunningGroup(RestartPolicy::Always, {Container("app")});
  runtime_.FailPulls("manifest unknown");
  Mutate(id, [](ContainerGroup& g) { WriteUpdate(g, {Container("app", kPrivateImage)}); });
  // The new image cannot be pulled: the group goes Pending, where it can be updated again.
  EXPECT_EQ(Reconcile(id), seconds(10));
  ContainerGroup g = Group(id);
  EXPECT_EQ(g.status.phase, GroupPhase::Pending);
  EXPECT_EQ(StatusOf(id, "app").current.reason, "ErrImagePull");
  EXPECT_TRUE(Sandboxes().empty());

  // Updated again to a present image: the pull back-off of the old image does not delay it.
  runtime_.FailPulls("");
  Mutate(id, [](ContainerGroup& g) { WriteUpdate(g, {Container("app")}); });
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
  EXPECT_EQ(Group(id).status.observed_generation, 2);
}

TEST_F(ControllerTest, UpdateIntoContainersThatExitAtOnceFinishesTheGroup) {
  std::string id = RunningGroup(RestartPolicy::Never, {Container("app")});
  Mutate(id, [](ContainerGroup& g) { WriteUpdate(g, {Container("job")}); });
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
  Exit(id, "job", 0);
  EXPECT_EQ(Reconcile(id), milliseconds(0));
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Succeeded);
}

}  // namespace
}  // namespace openeci::controller
