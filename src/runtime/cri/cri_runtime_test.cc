// Integration tests of CriRuntime and ContainerdProcess against a real containerd (the
// project's rule: real parts, no mocks). Needs root, containerd, runc, the CNI plugins and the
// image archives of scripts/images/build.sh (OPENECI_TEST_IMAGES, built when missing).
//
// Uses its own state directory, bridge (openeci-t0, openeci-t1) and subnets (10.89.0.0/24,
// 10.89.1.0/24) so that it cannot clash with a running OpenECI, and removes all of it at the end.
#include "runtime/cri/cri_runtime.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "runtime/containerd/containerd_process.h"
#include "runtime/cri/exec_stream.h"
#include "runtime/testing/local_registry.h"

namespace openeci::runtime {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kBridge = "openeci-t0";
constexpr const char* kAdoptBridge = "openeci-t1";
constexpr const char* kBusybox = "localhost/openeci/busybox:1.0";
constexpr const char* kCgroupRoot = "/openeci-test";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Every cgroup hierarchy of this machine's layout (v1 controllers plus "unified").
std::vector<std::string> CgroupMounts() {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator("/sys/fs/cgroup")) {
    if (entry.is_directory() && !entry.is_symlink()) {
      out.push_back(entry.path().string());
    }
  }
  return out;
}

// containerd leaves shm and overlay mounts under its root/state: detach them before rm -rf.
void UnmountUnder(const std::string& dir) {
  std::vector<std::string> targets;
  std::istringstream mounts(ReadFile("/proc/self/mounts"));
  std::string line;
  while (std::getline(mounts, line)) {
    std::istringstream f(line);
    std::string dev, target;
    f >> dev >> target;
    if (target.rfind(dir + "/", 0) == 0) {
      targets.push_back(target);
    }
  }
  std::sort(targets.begin(), targets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& t : targets) {
    ::umount2(t.c_str(), MNT_DETACH);
  }
}

std::string ImagesDir() {
  const char* env = std::getenv("OPENECI_TEST_IMAGES");
  return env != nullptr && *env != '\0' ? env : OPENECI_DEFAULT_TEST_IMAGES;
}

// One containerd for the whole suite (startup costs about a second).
class CriRuntimeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    images_ = ImagesDir();
    if (!fs::exists(images_ + "/pause.tar") || !fs::exists(images_ + "/busybox.tar")) {
      const std::string cmd = std::string(OPENECI_IMAGES_BUILD_SCRIPT) + " " + images_;
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
    char tmpl[] = "/tmp/oeci-rt-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;

    ContainerdOptions o;
    o.state_dir = dir_ + "/containerd";
    o.bridge_name = kBridge;
    o.subnet = "10.89.0.0/24";
    o.sandbox_image_archive = images_ + "/pause.tar";
    const auto t0 = Clock::now();
    auto proc = ContainerdProcess::Start(o);
    ASSERT_TRUE(proc.ok()) << proc.status().ToString();
    std::printf("containerd start: %lld ms\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           Clock::now() - t0)
                                           .count()));
    containerd_ = std::move(proc).value().release();
    EXPECT_FALSE(containerd_->adopted());

    auto rt = CriRuntime::Connect(containerd_->socket_path());
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    runtime_ = std::move(rt).value().release();

    const std::string import = "ctr --address " + containerd_->socket_path() +
                               " -n k8s.io images import " + images_ + "/busybox.tar >/dev/null";
    ASSERT_EQ(std::system(import.c_str()), 0) << import;
    auto has = runtime_->ImageExists(kBusybox);
    ASSERT_TRUE(has.ok() && *has) << "busybox image missing after import";
  }

  static void TearDownTestSuite() {
    if (runtime_ != nullptr) {
      auto list = runtime_->ListSandboxes();
      if (list.ok()) {
        for (const SandboxInfo& s : *list) {
          runtime_->StopSandbox(s.id);
          runtime_->RemoveSandbox(s.id);
        }
      }
      delete runtime_;
      runtime_ = nullptr;
    }
    if (containerd_ != nullptr) {
      EXPECT_TRUE(containerd_->Stop().ok());
      delete containerd_;
      containerd_ = nullptr;
    }
    CleanupHost(dir_, kBridge);
  }

  static void CleanupHost(const std::string& dir, const std::string& bridge) {
    if (!dir.empty()) {
      UnmountUnder(dir);
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
    for (const std::string& mount : CgroupMounts()) {
      ::rmdir((mount + kCgroupRoot).c_str());
    }
    std::system(("ip link del " + bridge + " 2>/dev/null").c_str());
  }

  SandboxConfig MakeSandbox(const std::string& name) {
    SandboxConfig s;
    s.name = name;
    s.uid = name + "-uid";
    s.hostname = name;
    s.log_directory = dir_ + "/logs/" + name;
    fs::create_directories(s.log_directory);
    s.labels[kGroupIdLabel] = name;
    s.dns_servers = {"10.89.0.1"};
    s.cgroup_parent = std::string(kCgroupRoot) + "/" + name;
    return s;
  }

  ContainerConfig MakeContainer(const std::string& name, std::vector<std::string> command) {
    ContainerConfig c;
    c.name = name;
    c.image = kBusybox;
    c.command = std::move(command);
    c.log_path = name + ".log";
    c.labels[kContainerNameLabel] = name;
    return c;
  }

  // Runs a sandbox and records it for cleanup at the end of the test.
  std::string RunSandbox(const SandboxConfig& s) {
    const auto t0 = Clock::now();
    auto id = runtime_->RunSandbox(s);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (!id.ok()) {
      return "";
    }
    Report("RunSandbox", t0);
    sandboxes_.push_back(*id);
    return *id;
  }

  std::string CreateAndStart(const std::string& sandbox_id, const ContainerConfig& c,
                             const SandboxConfig& s) {
    auto t0 = Clock::now();
    auto id = runtime_->CreateContainer(sandbox_id, c, s);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (!id.ok()) {
      return "";
    }
    Report("CreateContainer", t0);
    t0 = Clock::now();
    Status st = runtime_->StartContainer(*id);
    EXPECT_TRUE(st.ok()) << st.ToString();
    Report("StartContainer", t0);
    return *id;
  }

  // A running `sleep 1000` in a new sandbox named `sandbox_name`; "" on failure.
  std::string StartSleeper(const std::string& sandbox_name) {
    SandboxConfig s = MakeSandbox(sandbox_name);
    const std::string sid = RunSandbox(s);
    return sid.empty() ? "" : CreateAndStart(sid, MakeContainer("app", {"sleep", "1000"}), s);
  }

  ContainerInfo WaitExited(const std::string& container_id) {
    ContainerInfo info;
    EXPECT_TRUE(WaitFor(
        [&] {
          auto i = runtime_->InspectContainer(container_id);
          if (i.ok()) {
            info = *i;
          }
          return i.ok() && i->state == ContainerState::kExited;
        },
        std::chrono::seconds(15)));
    return info;
  }

  static void Report(const char* what, Clock::time_point t0) {
    std::printf("%s: %lld ms\n", what,
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0)
                        .count()));
  }

  void TearDown() override {
    for (const std::string& id : sandboxes_) {
      runtime_->StopSandbox(id);
      EXPECT_TRUE(runtime_->RemoveSandbox(id).ok());
    }
  }

  static std::string images_;
  static std::string dir_;
  static ContainerdProcess* containerd_;
  static CriRuntime* runtime_;
  std::vector<std::string> sandboxes_;
};

std::string CriRuntimeTest::images_;
std::string CriRuntimeTest::dir_;
ContainerdProcess* CriRuntimeTest::containerd_ = nullptr;
CriRuntime* CriRuntimeTest::runtime_ = nullptr;

TEST_F(CriRuntimeTest, Version) {
  auto v = runtime_->Version();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->rfind("containerd ", 0), 0u) << *v;
  EXPECT_TRUE(runtime_->CheckReady().ok());
}

TEST_F(CriRuntimeTest, SandboxGetsAnIpInTheSubnet) {
  SandboxConfig s = MakeSandbox("sb-ip");
  s.labels["extra"] = "yes";
  const std::string id = RunSandbox(s);
  ASSERT_FALSE(id.empty());
  auto info = runtime_->InspectSandbox(id);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->state, SandboxState::kReady);
  EXPECT_EQ(info->ip.rfind("10.89.0.", 0), 0u) << info->ip;
  EXPECT_EQ(info->labels.at(kGroupIdLabel), "sb-ip");
  EXPECT_EQ(info->labels.at("extra"), "yes");
  EXPECT_EQ(info->labels.count(kCgroupParentLabel), 0u);
  EXPECT_GT(info->created_at_ns, 0);

  auto list = runtime_->ListSandboxes();
  ASSERT_TRUE(list.ok());
  auto it = std::find_if(list->begin(), list->end(),
                         [&](const SandboxInfo& i) { return i.id == id; });
  ASSERT_NE(it, list->end());
  EXPECT_EQ(it->ip, info->ip);
}

TEST_F(CriRuntimeTest, ExitCodeAndLogAreReported) {
  SandboxConfig s = MakeSandbox("sb-exit");
  const std::string sid = RunSandbox(s);
  ASSERT_FALSE(sid.empty());
  ContainerConfig c = MakeContainer("exit3", {"sh", "-c", "echo hi; exit 3"});
  c.attempt = 2;
  const std::string cid = CreateAndStart(sid, c, s);
  ASSERT_FALSE(cid.empty());
  ContainerInfo info = WaitExited(cid);
  EXPECT_EQ(info.state, ContainerState::kExited);
  EXPECT_EQ(info.exit_code, 3);
  EXPECT_EQ(info.reason, "Error");
  EXPECT_EQ(info.id, cid);
  EXPECT_EQ(info.sandbox_id, sid);
  EXPECT_EQ(info.name, "exit3");
  EXPECT_EQ(info.attempt, 2u);
  EXPECT_EQ(info.labels.at(kContainerNameLabel), "exit3");
  EXPECT_GT(info.created_at_ns, 0);
  EXPECT_GE(info.started_at_ns, info.created_at_ns);
  EXPECT_GE(info.finished_at_ns, info.started_at_ns);
  EXPECT_EQ(info.log_path, s.log_directory + "/exit3.log");
  EXPECT_NE(ReadFile(info.log_path).find(" stdout F hi"), std::string::npos)
      << ReadFile(info.log_path);

  auto list = runtime_->ListContainers(sid);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].exit_code, 3);
  EXPECT_EQ((*list)[0].log_path, info.log_path);
}

TEST_F(CriRuntimeTest, CpuAndMemoryLimitsLandInCgroups) {
  SandboxConfig s = MakeSandbox("sb-res");
  const std::string sid = RunSandbox(s);
  ASSERT_FALSE(sid.empty());
  ContainerConfig c = MakeContainer("sleeper", {"sleep", "1000"});
  c.cpu_period = 100000;
  c.cpu_quota = 50000;
  c.memory_limit_bytes = 64 << 20;
  const std::string cid = CreateAndStart(sid, c, s);
  ASSERT_FALSE(cid.empty());
  auto info = runtime_->InspectContainer(cid);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state, ContainerState::kRunning);

  const std::string cg = s.cgroup_parent + "/" + cid;
  EXPECT_EQ(Trim(ReadFile("/sys/fs/cgroup/memory" + cg + "/memory.limit_in_bytes")),
            std::to_string(64 << 20));
  EXPECT_EQ(Trim(ReadFile("/sys/fs/cgroup/cpu" + cg + "/cpu.cfs_quota_us")), "50000");
  EXPECT_EQ(Trim(ReadFile("/sys/fs/cgroup/cpu" + cg + "/cpu.cfs_period_us")), "100000");

  const auto t0 = Clock::now();
  EXPECT_TRUE(runtime_->StopContainer(cid, 1).ok());
  Report("StopContainer(sleep, timeout 1)", t0);
  EXPECT_TRUE(runtime_->StopContainer(cid, 1).ok());  // idempotent
  auto stopped = runtime_->InspectContainer(cid);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->state, ContainerState::kExited);
  // Each container has its own PID namespace: sleep is PID 1 there and ignores SIGTERM, so
  // StopContainer's SIGKILL after the timeout is what ends it.
  EXPECT_EQ(stopped->exit_code, 137);

  EXPECT_TRUE(runtime_->RemoveContainer(cid).ok());
  EXPECT_TRUE(runtime_->RemoveContainer(cid).ok());  // idempotent
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/memory" + cg));
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/cpu" + cg));
}

TEST_F(CriRuntimeTest, EnvAndWorkingDirLand) {
  SandboxConfig s = MakeSandbox("sb-env");
  const std::string sid = RunSandbox(s);
  ASSERT_FALSE(sid.empty());
  ContainerConfig c = MakeContainer("env", {"sh", "-c"});
  c.args = {"pwd; env; cat /etc/hostname"};
  c.working_dir = "/tmp";
  c.env = {{"FOO", "bar baz"}, {"OTHER", "1"}};
  const std::string cid = CreateAndStart(sid, c, s);
  ASSERT_FALSE(cid.empty());
  ContainerInfo info = WaitExited(cid);
  EXPECT_EQ(info.exit_code, 0);
  const std::string log = ReadFile(info.log_path);
  EXPECT_NE(log.find(" stdout F /tmp\n"), std::string::npos) << log;
  EXPECT_NE(log.find(" stdout F FOO=bar baz\n"), std::string::npos) << log;
  EXPECT_NE(log.find(" stdout F OTHER=1\n"), std::string::npos) << log;
  EXPECT_NE(log.find(" stdout F sb-env\n"), std::string::npos) << log;
}

TEST_F(CriRuntimeTest, RemoveSandboxLeavesNothingBehind) {
  SandboxConfig s = MakeSandbox("sb-rm");
  auto id = runtime_->RunSandbox(s);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  const std::string sid = *id;
  const std::string cid = CreateAndStart(sid, MakeContainer("sleeper", {"sleep", "1000"}), s);
  ASSERT_FALSE(cid.empty());

  bool had_cni_result = false;
  for (const auto& e : fs::directory_iterator("/var/lib/cni/results")) {
    had_cni_result |= e.path().filename().string().find(sid) != std::string::npos;
  }
  EXPECT_TRUE(had_cni_result) << "CNI keeps no result cache any more? adjust the test";

  auto t0 = Clock::now();
  ASSERT_TRUE(runtime_->StopSandbox(sid).ok());
  Report("StopSandbox", t0);
  EXPECT_TRUE(runtime_->StopSandbox(sid).ok());
  t0 = Clock::now();
  ASSERT_TRUE(runtime_->RemoveSandbox(sid).ok());
  Report("RemoveSandbox", t0);
  EXPECT_TRUE(runtime_->RemoveSandbox(sid).ok());  // idempotent
  EXPECT_TRUE(runtime_->StopSandbox(sid).ok());    // idempotent on an absent sandbox

  auto inspect = runtime_->InspectSandbox(sid);
  ASSERT_FALSE(inspect.ok());
  EXPECT_EQ(inspect.status().cls(), StatusClass::kNotFound);
  EXPECT_EQ(inspect.status().api_code(), "InvalidParameter.NotFound");
  auto sandboxes = runtime_->ListSandboxes();
  ASSERT_TRUE(sandboxes.ok());
  for (const SandboxInfo& i : *sandboxes) {
    EXPECT_NE(i.id, sid);
  }
  auto containers = runtime_->ListContainers("");
  ASSERT_TRUE(containers.ok());
  for (const ContainerInfo& c : *containers) {
    EXPECT_NE(c.sandbox_id, sid);
    EXPECT_NE(c.id, cid);
  }
  for (const std::string& mount : CgroupMounts()) {
    EXPECT_FALSE(fs::exists(mount + s.cgroup_parent + "/" + sid)) << mount;
    EXPECT_FALSE(fs::exists(mount + s.cgroup_parent + "/" + cid)) << mount;
    EXPECT_FALSE(fs::exists(mount + s.cgroup_parent)) << mount;
  }
  for (const auto& e : fs::directory_iterator("/var/lib/cni/results")) {
    EXPECT_EQ(e.path().filename().string().find(sid), std::string::npos) << e.path();
  }
}

TEST_F(CriRuntimeTest, UnknownIdsAreNotFound) {
  auto c = runtime_->InspectContainer("no-such-container");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().cls(), StatusClass::kNotFound);
  auto s = runtime_->InspectSandbox("no-such-sandbox");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().cls(), StatusClass::kNotFound);
  EXPECT_TRUE(runtime_->StopContainer("no-such-container", 0).ok());
  EXPECT_TRUE(runtime_->RemoveContainer("no-such-container").ok());
}

TEST_F(CriRuntimeTest, PullFailureKeepsContainerdsMessage) {
  // Nothing listens on port 1; the message must say why the pull failed.
  Status st = runtime_->PullImage("127.0.0.1:1/nothing:1", std::nullopt, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("127.0.0.1:1"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("connection refused"), std::string::npos) << st.message();
}

// docker-registry with basic auth (user "u", password "p") serving on 127.0.0.1.
TEST_F(CriRuntimeTest, PullFromLocalRegistryWithAuth) {
  if (std::system("command -v docker-registry >/dev/null && command -v htpasswd >/dev/null") !=
      0) {
    GTEST_SKIP() << "docker-registry or htpasswd (apache2-utils) not installed";
  }
  const std::string reg = dir_ + "/registry";
  fs::create_directories(reg);
  ASSERT_EQ(std::system(("htpasswd -Bbn u p > " + reg + "/htpasswd").c_str()), 0);
  testing::LocalRegistry registry(reg, reg + "/htpasswd");
  ASSERT_TRUE(registry.ok());
  const std::string& addr = registry.addr();

  const std::string image = addr + "/openeci/busybox:pulled";
  const std::string push = "skopeo copy -q --dest-tls-verify=false --dest-creds u:p oci-archive:" +
                           images_ + "/busybox.tar docker://" + image;
  ASSERT_TRUE(WaitFor([&] { return std::system((push + " 2>/dev/null").c_str()) == 0; },
                      std::chrono::seconds(10)))
      << push;

  Status denied = runtime_->PullImage(image, std::nullopt, nullptr);
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.message().find("401 Unauthorized"), std::string::npos) << denied.message();

  const auto t0 = Clock::now();
  Status pulled = runtime_->PullImage(image, RegistryAuth{"u", "p"}, nullptr);
  ASSERT_TRUE(pulled.ok()) << pulled.ToString();
  Report("PullImage (busybox, local registry)", t0);
  auto has = runtime_->ImageExists(image);
  ASSERT_TRUE(has.ok());
  EXPECT_TRUE(*has);
}

// A second containerd in its own state dir: started, forgotten (as when OpenECI is SIGKILLed),
// then adopted by the next Start() with its pods still running.
TEST_F(CriRuntimeTest, RestartedOpenEciAdoptsRunningContainerd) {
  ContainerdOptions o;
  o.state_dir = dir_ + "/adopt";
  o.bridge_name = kAdoptBridge;
  o.subnet = "10.89.1.0/24";
  o.sandbox_image_archive = images_ + "/pause.tar";
  auto first = ContainerdProcess::Start(o);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const pid_t pid = (*first)->pid();
  ASSERT_GT(pid, 0);

  std::string sid;
  {
    auto rt = CriRuntime::Connect((*first)->socket_path());
    ASSERT_TRUE(rt.ok());
    SandboxConfig s = MakeSandbox("sb-adopt");
    auto id = (*rt)->RunSandbox(s);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    sid = *id;
  }
  (*first)->Detach();
  first = Status::Ok();  // destroys the object; containerd keeps running
  ASSERT_EQ(::kill(pid, 0), 0) << "containerd died with its ContainerdProcess";

  const auto t0 = Clock::now();
  auto second = ContainerdProcess::Start(o);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  Report("adopting Start", t0);
  EXPECT_TRUE((*second)->adopted());
  EXPECT_EQ((*second)->pid(), pid);
  {
    auto rt = CriRuntime::Connect((*second)->socket_path());
    ASSERT_TRUE(rt.ok());
    auto info = (*rt)->InspectSandbox(sid);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->state, SandboxState::kReady);
    // A new CriRuntime recovers the cgroup parent from the sandbox label.
    EXPECT_TRUE((*rt)->StopSandbox(sid).ok());
    EXPECT_TRUE((*rt)->RemoveSandbox(sid).ok());
    for (const std::string& mount : CgroupMounts()) {
      EXPECT_FALSE(fs::exists(mount + kCgroupRoot + "/sb-adopt")) << mount;
    }
  }
  EXPECT_TRUE((*second)->Stop().ok());
  EXPECT_TRUE((*second)->Stop().ok());  // idempotent
  EXPECT_NE(::kill(pid, 0), 0) << "containerd still running after Stop";
  UnmountUnder(o.state_dir);
  std::system((std::string("ip link del ") + kAdoptBridge + " 2>/dev/null").c_str());
}

TEST_F(CriRuntimeTest, ExecSyncReturnsBothStreamsAndTheExitCode) {
  const std::string cid = StartSleeper("sb-execsync");
  ASSERT_FALSE(cid.empty());

  const auto t0 = Clock::now();
  auto r = runtime_->ExecSync(cid, {"sh", "-c", "echo out; echo err >&2; exit 7"}, 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Report("ExecSync", t0);
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_EQ(r->stdout_data, "out\n");
  EXPECT_EQ(r->stderr_data, "err\n");

  auto ok = runtime_->ExecSync(cid, {"true"}, 10);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->exit_code, 0);

  auto missing = runtime_->ExecSync("no-such-container", {"true"}, 10);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().cls(), StatusClass::kNotFound) << missing.status().ToString();
  EXPECT_EQ(runtime_->ExecSync(cid, {}, 10).status().cls(), StatusClass::kInvalidArgument);
}

TEST_F(CriRuntimeTest, ExecSyncTimeoutIsUnavailableAndNamesTheTimeout) {
  const std::string cid = StartSleeper("sb-exectimeout");
  ASSERT_FALSE(cid.empty());

  const auto t0 = Clock::now();
  auto r = runtime_->ExecSync(cid, {"sleep", "10"}, 1);
  const auto elapsed = Clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().cls(), StatusClass::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("timeout of 1 s"), std::string::npos) << r.status().message();
  // It gave up on the command instead of waiting for it.
  EXPECT_LT(elapsed, std::chrono::seconds(9));
}

// Reads every frame until the server closes the stream; returns the output per channel.
std::map<int, std::string> ReadUntilClosed(ExecStreamClient& client, Status* end) {
  std::map<int, std::string> out;
  while (true) {
    auto frame = client.Read();
    if (!frame.ok()) {
      *end = frame.status();
      return out;
    }
    out[frame->channel] += frame->data;
  }
}

TEST_F(CriRuntimeTest, ExecStreamsOutputAndTheExitCodeOverWebSocket) {
  const std::string cid = StartSleeper("sb-exec");
  ASSERT_FALSE(cid.empty());

  const auto t0 = Clock::now();
  auto url = runtime_->Exec(cid, {"sh", "-c", "echo hello; echo oops >&2; exit 3"}, false, false);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_TRUE(std::regex_match(*url, std::regex("http://127\\.0\\.0\\.1:[0-9]+/exec/[^/]+")))
      << *url;
  auto client = ExecStreamClient::Connect(*url);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  Status end;
  std::map<int, std::string> out = ReadUntilClosed(**client, &end);
  EXPECT_EQ(end.cls(), StatusClass::kUnavailable);
  EXPECT_EQ(end.message().rfind("exec stream closed", 0), 0u) << end.message();
  EXPECT_EQ(out[ExecStreamClient::kStdout], "hello\n");
  EXPECT_EQ(out[ExecStreamClient::kStderr], "oops\n");
  auto code = ExecStreamClient::ExitCodeOf(out[ExecStreamClient::kError]);
  ASSERT_TRUE(code.ok()) << code.status().ToString() << " " << out[ExecStreamClient::kError];
  EXPECT_EQ(*code, 3);
  EXPECT_FALSE((*client)->Send(ExecStreamClient::kStdin, "late").ok());
  (*client)->Close();
  (*client)->Close();  // idempotent

  Report("exec over WebSocket", t0);
  // stdin reaches the command; a TTY merges the streams and takes a resize.
  url = runtime_->Exec(cid, {"sh", "-c", "read line; echo got $line"}, false, true);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  client = ExecStreamClient::Connect(*url);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  ASSERT_TRUE((*client)->Send(ExecStreamClient::kStdin, "hi there\n").ok());
  out = ReadUntilClosed(**client, &end);
  EXPECT_EQ(out[ExecStreamClient::kStdout], "got hi there\n");
  code = ExecStreamClient::ExitCodeOf(out[ExecStreamClient::kError]);
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(*code, 0);

  url = runtime_->Exec(cid, {"sh", "-c", "sleep 0.5; stty size; echo err >&2"}, true, true);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  client = ExecStreamClient::Connect(*url);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  ASSERT_TRUE((*client)->Resize(100, 30).ok());
  out = ReadUntilClosed(**client, &end);
  EXPECT_NE(out[ExecStreamClient::kStdout].find("30 100"), std::string::npos)
      << out[ExecStreamClient::kStdout];
  EXPECT_NE(out[ExecStreamClient::kStdout].find("err"), std::string::npos);
  EXPECT_EQ(out.count(ExecStreamClient::kStderr), 0u);

  EXPECT_EQ(ExecStreamClient::Connect("ftp://127.0.0.1/x").status().cls(),
            StatusClass::kInvalidArgument);
  EXPECT_EQ(ExecStreamClient::Connect("http://127.0.0.1:1/exec/x").status().cls(),
            StatusClass::kUnavailable);
}

TEST(ExecStreamClientTest, ExitCodeOfReadsKubernetesStatus) {
  EXPECT_EQ(*ExecStreamClient::ExitCodeOf(R"({"metadata":{},"status":"Success"})"), 0);
  EXPECT_EQ(*ExecStreamClient::ExitCodeOf(
                R"({"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}})"),
            3);
  auto failed = ExecStreamClient::ExitCodeOf(
      R"({"status":"Failure","message":"executable file not found"})");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("executable file not found"), std::string::npos);
  EXPECT_FALSE(ExecStreamClient::ExitCodeOf("not json").ok());
}

TEST_F(CriRuntimeTest, SandboxStatsReportCpuMemoryAndNetwork) {
  SandboxConfig s = MakeSandbox("sb-stats");
  const std::string sid = RunSandbox(s);
  ASSERT_FALSE(sid.empty());
  ContainerConfig spin = MakeContainer("spin", {"sh", "-c", "while :; do :; done"});
  spin.cpu_period = 100000;
  spin.cpu_quota = 50000;
  const std::string spin_id = CreateAndStart(sid, spin, s);
  ASSERT_FALSE(spin_id.empty());
  // 50 MiB of shared memory, charged to this container's cgroup as page cache.
  ContainerConfig fill = MakeContainer(
      "fill", {"sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=50; sleep 1000"});
  const std::string fill_id = CreateAndStart(sid, fill, s);
  ASSERT_FALSE(fill_id.empty());

  auto find_pod = [&](const std::vector<SandboxStats>& all) -> const SandboxStats* {
    for (const SandboxStats& p : all) {
      if (p.id == sid) {
        return &p;
      }
    }
    return nullptr;
  };
  auto find_container = [](const SandboxStats& pod, const std::string& id) {
    const ContainerStats* found = nullptr;
    for (const ContainerStats& c : pod.containers) {
      if (c.id == id) {
        found = &c;
      }
    }
    return found;
  };
  // The fill has happened once the container's memory shows it.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto all = runtime_->ListSandboxStats();
        const SandboxStats* pod = all.ok() ? find_pod(*all) : nullptr;
        const ContainerStats* c = pod ? find_container(*pod, fill_id) : nullptr;
        return c != nullptr && c->memory.usage_bytes >= (40u << 20);
      },
      std::chrono::seconds(15)));
  // Some traffic to the pod's gateway (the bridge), for the packet counters.
  auto ping = runtime_->ExecSync(fill_id, {"ping", "-c", "3", "-i", "0.2", "10.89.0.1"}, 10);
  ASSERT_TRUE(ping.ok()) << ping.status().ToString();
  EXPECT_EQ(ping->exit_code, 0) << ping->stdout_data << ping->stderr_data;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto t0 = Clock::now();
  auto all = runtime_->ListSandboxStats();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  Report("ListSandboxStats", t0);
  const SandboxStats* pod = find_pod(*all);
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->labels.at(kGroupIdLabel), "sb-stats");
  EXPECT_EQ(pod->labels.count(kCgroupParentLabel), 0u);
  EXPECT_GT(pod->cpu.timestamp_ns, 0);
  EXPECT_GT(pod->cpu.usage_core_nanoseconds, 0u);
  EXPECT_GT(pod->memory.working_set_bytes, 0u);
  EXPECT_GE(pod->memory.usage_bytes, 40u << 20);
  EXPECT_GE(pod->memory.cache_bytes, 40u << 20);
  auto eth0 = std::find_if(pod->interfaces.begin(), pod->interfaces.end(),
                           [](const InterfaceStats& i) { return i.name == "eth0"; });
  ASSERT_NE(eth0, pod->interfaces.end());
  EXPECT_GT(eth0->rx_bytes + eth0->tx_bytes, 0u);
  // CRI carries only bytes and errors; the packets come from the pod's network namespace.
  EXPECT_GE(eth0->rx_packets, 3u);
  EXPECT_GE(eth0->tx_packets, 3u);
  EXPECT_GT(eth0->rx_bytes, 0u);
  EXPECT_GT(eth0->tx_bytes, 0u);

  ASSERT_EQ(pod->containers.size(), 2u);
  const ContainerStats* spin_stats = find_container(*pod, spin_id);
  ASSERT_NE(spin_stats, nullptr);
  EXPECT_EQ(spin_stats->name, "spin");
  EXPECT_EQ(spin_stats->labels.at(kContainerNameLabel), "spin");
  const ContainerStats* fill_stats = find_container(*pod, fill_id);
  ASSERT_NE(fill_stats, nullptr);
  EXPECT_GE(fill_stats->memory.usage_bytes, 40u << 20);
  EXPECT_GE(fill_stats->memory.cache_bytes, 40u << 20);
  EXPECT_GT(fill_stats->memory.working_set_bytes, 0u);

  // A rate needs two samples: the spinning container is held to half a CPU.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  all = runtime_->ListSandboxStats();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  pod = find_pod(*all);
  ASSERT_NE(pod, nullptr);
  std::printf("pod usage_nano_cores %llu\n",
              static_cast<unsigned long long>(pod->cpu.usage_nano_cores));
  EXPECT_GT(pod->cpu.usage_nano_cores, 100'000'000u);
  EXPECT_LT(pod->cpu.usage_nano_cores, 1'000'000'000u);
  spin_stats = find_container(*pod, spin_id);
  ASSERT_NE(spin_stats, nullptr);
  EXPECT_GT(spin_stats->cpu.usage_nano_cores, 100'000'000u);
  EXPECT_LT(spin_stats->cpu.usage_nano_cores, 1'000'000'000u);

  // Stopped sandboxes are not reported.
  ASSERT_TRUE(runtime_->StopSandbox(sid).ok());
  all = runtime_->ListSandboxStats();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(find_pod(*all), nullptr);
}

// containerd 1.6 reports pod-level stats only for sandboxes with a cgroup parent; without one
// the pod's numbers come from its containers.
TEST_F(CriRuntimeTest, SandboxStatsWithoutCgroupParent) {
  SandboxConfig s = MakeSandbox("sb-nocg");
  s.cgroup_parent.clear();
  const std::string sid = RunSandbox(s);
  ASSERT_FALSE(sid.empty());
  const std::string cid = CreateAndStart(sid, MakeContainer("app", {"sleep", "1000"}), s);
  ASSERT_FALSE(cid.empty());
  auto all = runtime_->ListSandboxStats();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  auto pod = std::find_if(all->begin(), all->end(),
                          [&](const SandboxStats& p) { return p.id == sid; });
  ASSERT_NE(pod, all->end());
  ASSERT_EQ(pod->containers.size(), 1u);
  EXPECT_EQ(pod->containers[0].id, cid);
  EXPECT_GT(pod->containers[0].memory.working_set_bytes, 0u);
  EXPECT_GT(pod->cpu.timestamp_ns, 0);
  EXPECT_GT(pod->memory.working_set_bytes, 0u);

  // Without a parent runc puts the cgroups under /k8s.io, and nobody removes them.
  ASSERT_TRUE(runtime_->StopSandbox(sid).ok());
  ASSERT_TRUE(runtime_->RemoveSandbox(sid).ok());
  for (const std::string& mount : CgroupMounts()) {
    for (const std::string& id : {cid, sid}) {
      const std::string dir = mount + "/k8s.io/" + id;
      EXPECT_TRUE(WaitFor([&] { return ::rmdir(dir.c_str()) == 0 || errno == ENOENT; },
                          std::chrono::seconds(2)))
          << dir;
    }
    ::rmdir((mount + "/k8s.io").c_str());  // only when empty: it may be someone else's
  }
}

TEST_F(CriRuntimeTest, ReopenContainerLogOfARunningContainer) {
  SandboxConfig s = MakeSandbox("sb-reopen");
  const std::string sid = RunSandbox(s);
  ASSERT_FALSE(sid.empty());
  const std::string cid = CreateAndStart(
      sid, MakeContainer("app", {"sh", "-c", "while :; do echo tick; sleep 0.2; done"}), s);
  ASSERT_FALSE(cid.empty());
  auto info = runtime_->InspectContainer(cid);
  ASSERT_TRUE(info.ok());
  // Rotate the log away; after the reopen the container writes to a fresh file.
  const std::string rotated = info->log_path + ".1";
  ASSERT_TRUE(WaitFor([&] { return !ReadFile(info->log_path).empty(); },
                      std::chrono::seconds(5)));
  fs::rename(info->log_path, rotated);
  Status st = runtime_->ReopenContainerLog(cid);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(WaitFor([&] { return ReadFile(info->log_path).find(" stdout F tick") !=
                                   std::string::npos; },
                      std::chrono::seconds(5)));
  EXPECT_EQ(runtime_->ReopenContainerLog("no-such-container").cls(), StatusClass::kNotFound);
}

TEST_F(CriRuntimeTest, ListImagesAndRemoveImage) {
  auto images = runtime_->ListImages();
  ASSERT_TRUE(images.ok()) << images.status().ToString();
  auto busybox = std::find_if(images->begin(), images->end(), [](const ImageInfo& i) {
    return std::find(i.repo_tags.begin(), i.repo_tags.end(), kBusybox) != i.repo_tags.end();
  });
  ASSERT_NE(busybox, images->end());
  EXPECT_EQ(busybox->id.rfind("sha256:", 0), 0u) << busybox->id;
  EXPECT_GT(busybox->size_bytes, 0u);

  Status st = runtime_->RemoveImage(kBusybox);
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto has = runtime_->ImageExists(kBusybox);
  ASSERT_TRUE(has.ok());
  EXPECT_FALSE(*has);
  EXPECT_TRUE(runtime_->RemoveImage(kBusybox).ok());  // absent: still ok
  images = runtime_->ListImages();
  ASSERT_TRUE(images.ok());
  for (const ImageInfo& i : *images) {
    EXPECT_EQ(std::find(i.repo_tags.begin(), i.repo_tags.end(), kBusybox), i.repo_tags.end());
  }

  // The other tests need it back.
  const std::string import = "ctr --address " + containerd_->socket_path() +
                             " -n k8s.io images import " + images_ + "/busybox.tar >/dev/null";
  ASSERT_EQ(std::system(import.c_str()), 0) << import;
  has = runtime_->ImageExists(kBusybox);
  ASSERT_TRUE(has.ok() && *has);
}

TEST(ContainerdProcessTest, ExternalSocketThatDoesNotAnswerFails) {
  ContainerdOptions o;
  o.external_socket = "/tmp/oeci-no-such.sock";
  auto p = ContainerdProcess::Start(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().cls(), StatusClass::kUnavailable) << p.status().ToString();
}

}  // namespace
}  // namespace openeci::runtime
