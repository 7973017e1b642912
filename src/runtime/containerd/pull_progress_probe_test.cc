// PullProgressProbe, and the ImageCacheController using it, against a real containerd (its
// own, in a temp dir) pulling 3-layer images of random bytes from a local docker-registry
// through a throttling TCP proxy, so that a pull lasts a few seconds and its layer ingests can
// be watched. Also the faults around them: a download that stalls (cancelled), a containerd
// that is SIGKILLed (ContainerdSupervisor starts it again). Needs root, containerd, docker-registry, umoci and skopeo (skipped when a tool
// is missing).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "controller/image_cache_controller.h"
#include "controller/pull_watcher.h"
#include "core/image_cache_service.h"
#include "runtime/containerd/containerd_process.h"
#include "runtime/containerd/containerd_supervisor.h"
#include "runtime/containerd/pull_progress.h"
#include "runtime/cri/cri_runtime.h"
#include "runtime/testing/local_registry.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::runtime {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Listens on 127.0.0.1 and forwards each connection to `target_port`, passing the replies
// on at about `bytes_per_second`. After HoldAfter(n) a connection passes on only n bytes of
// replies and then holds: nothing more, but it stays open (a registry hanging mid-download).
class SlowProxy {
 public:
  SlowProxy(int target_port, int64_t bytes_per_second)
      : target_port_(target_port), rate_(bytes_per_second) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = Loopback(0);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listen_fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~SlowProxy() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    {
      std::lock_guard lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : pumps_) t.join();
    for (int fd : fds_) ::close(fd);
  }

  int port() const { return port_; }
  // Replies beyond `bytes` per connection are held back (0: none are).
  void HoldAfter(int64_t bytes) { hold_after_ = bytes; }

 private:
  static sockaddr_in Loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    return addr;
  }

  void AcceptLoop() {
    while (!stopping_) {
      int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) return;
      int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr = Loopback(target_port_);
      if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      std::lock_guard lock(mu_);
      fds_.push_back(client);
      fds_.push_back(server);
      pumps_.emplace_back([this, client, server] { Pump(client, server, 0); });
      pumps_.emplace_back([this, client, server] { Pump(server, client, rate_); });
    }
  }

  // Copies from `from` to `to` until EOF; `rate` > 0 paces the copy.
  void Pump(int from, int to, int64_t rate) {
    char buf[16 * 1024];
    int64_t passed = 0;
    while (!stopping_) {
      ssize_t n = ::read(from, buf, rate > 0 ? 4096 : sizeof(buf));
      if (n <= 0) break;
      passed += n;
      while (rate > 0 && hold_after_ > 0 && passed > hold_after_ && !stopping_) {
        std::this_thread::sleep_for(milliseconds(10));
      }
      for (ssize_t off = 0; off < n;) {
        // MSG_NOSIGNAL: containerd closes connections of a cancelled pull (no SIGPIPE).
        ssize_t w = ::send(to, buf + off, n - off, MSG_NOSIGNAL);
        if (w <= 0) return;
        off += w;
      }
      if (rate > 0) std::this_thread::sleep_for(std::chrono::microseconds(n * 1000000 / rate));
    }
    ::shutdown(to, SHUT_WR);
  }

  const int target_port_;
  const int64_t rate_;
  std::atomic<int64_t> hold_after_{0};
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> pumps_;
};

int Shell(const std::string& cmd) { return std::system(cmd.c_str()); }

// Detaches the overlay mounts containerd left under `dir`, then removes it.
void RemoveTree(const std::string& dir) {
  std::ifstream in("/proc/self/mounts");
  std::string line;
  std::vector<std::string> targets;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string dev, target;
    f >> dev >> target;
    if (target.rfind(dir + "/", 0) == 0) targets.push_back(target);
  }
  for (auto it = targets.rbegin(); it != targets.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

// Its own containerd, registry and throttling proxy per test, all under a temp dir.
class PullProgressProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Shell("command -v docker-registry >/dev/null && command -v umoci >/dev/null && "
              "command -v skopeo >/dev/null && command -v containerd >/dev/null") != 0) {
      GTEST_SKIP() << "docker-registry, umoci, skopeo or containerd not installed";
    }
    char tmpl[] = "/tmp/oeci-pp-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    registry_ = std::make_unique<testing::LocalRegistry>(dir_ + "/registry");
    ASSERT_TRUE(registry_->ok());
    // 9 MiB at 3 MiB/s: about three seconds of pull to watch.
    proxy_ = std::make_unique<SlowProxy>(registry_->port(), 3 << 20);

    ContainerdOptions o;
    o.state_dir = dir_ + "/containerd";
    o.bridge_name = "openeci-t9";
    o.subnet = "10.89.9.0/24";
    auto containerd = ContainerdProcess::Start(o);
    ASSERT_TRUE(containerd.ok()) << containerd.status().ToString();
    containerd_ = std::move(containerd).value();
    auto cri = CriRuntime::Connect(containerd_->socket_path());
    ASSERT_TRUE(cri.ok()) << cri.status().ToString();
    cri_ = std::move(cri).value();
    auto probe = PullProgressProbe::Connect(containerd_->socket_path());
    ASSERT_TRUE(probe.ok()) << probe.status().ToString();
    probe_ = std::move(probe).value();
  }

  void TearDown() override {
    probe_.reset();
    cri_.reset();
    if (containerd_ != nullptr) {
      EXPECT_TRUE(containerd_->Stop().ok());
    }
    containerd_.reset();
    proxy_.reset();
    registry_.reset();
    if (!dir_.empty()) RemoveTree(dir_);
  }

  // Builds an image of 3 layers of 3 MiB of random bytes, pushes it to the registry and
  // returns its name through the slow proxy ("" on failure, with a test failure recorded).
  std::string PushRandomImage(const std::string& name) {
    const std::string layout = dir_ + "/layout-" + name;
    EXPECT_EQ(Shell("umoci init --layout " + layout + " && umoci new --image " + layout + ":1"), 0);
    for (int i = 0; i < 3; ++i) {
      const std::string bundle = dir_ + "/bundle";
      const std::string cmd = "umoci unpack --image " + layout + ":1 " + bundle +
                              " >/dev/null && head -c 3145728 /dev/urandom > " + bundle +
                              "/rootfs/blob" + std::to_string(i) + " && umoci repack --image " +
                              layout + ":1 " + bundle + " && rm -rf " + bundle;
      if (Shell(cmd) != 0) {
        ADD_FAILURE() << cmd;
        return "";
      }
    }
    const std::string push = "skopeo copy -q --dest-tls-verify=false oci:" + layout +
                             ":1 docker://" + registry_->addr() + "/openeci/" + name +
                             ":1 2>/dev/null";
    bool pushed = false;
    for (int i = 0; i < 50 && !pushed; ++i) {
      pushed = Shell(push) == 0;
      if (!pushed) std::this_thread::sleep_for(milliseconds(200));
    }
    if (!pushed) {
      ADD_FAILURE() << push;
      return "";
    }
    return "127.0.0.1:" + std::to_string(proxy_->port()) + "/openeci/" + name + ":1";
  }

  std::string dir_;
  std::unique_ptr<testing::LocalRegistry> registry_;
  std::unique_ptr<SlowProxy> proxy_;
  std::unique_ptr<ContainerdProcess> containerd_;
  std::unique_ptr<CriRuntime> cri_;
  std::unique_ptr<PullProgressProbe> probe_;
};

TEST_F(PullProgressProbeTest, SeesLayerIngestsOfASlowPull) {
  const std::string image = PushRandomImage("big");
  ASSERT_FALSE(image.empty());
  auto idle = probe_->Active();
  ASSERT_TRUE(idle.ok()) << idle.status().ToString();
  EXPECT_TRUE(idle->empty());

  std::atomic<bool> done{false};
  Status pulled;
  std::thread puller([&] {
    pulled = cri_->PullImage(image, std::nullopt, nullptr);
    done = true;
  });
  PullProgress progress;
  std::vector<double> fractions;
  int layer_snapshots = 0;
  int completed = 0;
  std::string probe_error;
  while (!done) {
    auto active = probe_->Active();
    if (!active.ok()) {
      probe_error = active.status().ToString();
      break;
    }
    for (const IngestStatus& s : *active) {
      if (s.ref.rfind("layer-sha256:", 0) == 0 && s.total > 0) ++layer_snapshots;
    }
    fractions.push_back(progress.Update(*active));
    completed += static_cast<int>(progress.just_completed().size());
    std::this_thread::sleep_for(milliseconds(50));
  }
  puller.join();
  ASSERT_TRUE(pulled.ok()) << pulled.ToString();
  EXPECT_EQ(probe_error, "");
  EXPECT_GT(layer_snapshots, 0) << "no layer ingest with a known size seen during the pull";
  for (size_t i = 1; i < fractions.size(); ++i) EXPECT_GE(fractions[i], fractions[i - 1]);
  ASSERT_FALSE(fractions.empty());
  // Some bytes were seen arriving before the pull finished.
  EXPECT_GT(fractions.back(), 0.0);
  auto after = probe_->Active();
  ASSERT_TRUE(after.ok());
  progress.Update(*after);
  completed += static_cast<int>(progress.just_completed().size());
  EXPECT_DOUBLE_EQ(progress.fraction(), 1.0);
  EXPECT_GE(completed, 1);
  std::printf("layer snapshots: %d, completed layers seen: %d, polls: %zu\n", layer_snapshots,
              completed, fractions.size());
}

// Regression: a registry that stopped sending mid-download left PullImage waiting for CRI's
// 10 min deadline. Watched with a stall timeout, the pull is cancelled (containerd's side too)
// and, once the registry sends again, the image pulls.
TEST_F(PullProgressProbeTest, StalledDownloadIsCancelledAndResumesLater) {
  const std::string image = PushRandomImage("stalled");
  ASSERT_FALSE(image.empty());
  proxy_->HoldAfter(64 << 10);  // the manifest and config pass, every layer stops early
  const controller::PullWatchOptions watch{
      milliseconds(100), milliseconds(1500),
      [&](const std::string& ref) { return probe_->Abort(ref); }};
  // The retry stalls the same way and is seen to (the first one's downloads were dropped).
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto started = std::chrono::steady_clock::now();
    Status st = controller::PullWatched(
        [&](Cancellation& cancel) { return cri_->PullImage(image, std::nullopt, &cancel); },
        [&] { return probe_->Active(); }, watch, [](const PullProgress&, bool) {});
    const auto took = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(st.ok()) << "attempt " << attempt;
    EXPECT_EQ(st.cls(), StatusClass::kUnavailable);
    EXPECT_NE(st.message().find("no bytes received for 1500 ms"), std::string::npos)
        << st.message();
    EXPECT_LT(took, std::chrono::seconds(30));
  }

  proxy_->HoldAfter(0);
  Status again = cri_->PullImage(image, std::nullopt, nullptr);
  EXPECT_TRUE(again.ok()) << again.ToString();
}

TEST_F(PullProgressProbeTest, SupervisorStartsASigkilledContainerdAgain) {
  const pid_t first = containerd_->pid();
  ContainerdOptions o;
  o.state_dir = dir_ + "/containerd";
  o.bridge_name = "openeci-t9";
  o.subnet = "10.89.9.0/24";
  ContainerdSupervisor supervisor(o, std::move(containerd_),
                                  {milliseconds(50), milliseconds(100), milliseconds(1000)});
  supervisor.Start();
  ASSERT_TRUE(cri_->Version().ok());
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (supervisor.restarts() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(supervisor.restarts(), 1);
  // The same client reconnects to the new containerd by itself.
  StatusOr<std::string> version = UnavailableError("not asked yet");
  for (int i = 0; i < 50 && !version.ok(); ++i) {
    version = cri_->Version();
    if (!version.ok()) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_TRUE(supervisor.Stop().ok());
}

// The ImageCacheController with the probe: Progress moves within the image while it is
// pulled, never goes back, and each layer gets a PulledLayer event.
TEST_F(PullProgressProbeTest, ImageCacheProgressFollowsLayerBytes) {
  const std::string image = PushRandomImage("cached");
  ASSERT_FALSE(image.empty());
  auto store = store::SqliteStore::Open(dir_ + "/openeci.db");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  SystemClock clock;
  core::Topology topology;
  core::ImageCacheService service(**store, clock, topology);
  controller::ImageCacheControllerOptions options;
  options.pull_probe = probe_.get();
  options.pull_poll_interval = milliseconds(100);
  options.progress_write_interval = milliseconds(200);
  controller::ImageCacheController caches(**store, *cri_, clock, options);
  core::ImageCacheRequest r;
  r.region_id = "cn-hangzhou";
  r.name = "big";
  r.images = {image};
  auto created = service.Create("1234567890", r, "", "");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const std::string id = created->image_cache_id;

  std::atomic<bool> done{false};
  std::thread builder([&] {
    auto next = caches.Reconcile(id);
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    done = true;
  });
  std::vector<int> seen;
  while (!done) {
    auto c = (*store)->GetImageCache(id);
    if (c.ok()) seen.push_back(core::ImageCacheProgressPercent(*c));
    std::this_thread::sleep_for(milliseconds(50));
  }
  builder.join();
  auto c = (*store)->GetImageCache(id);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->status, core::ImageCacheStatus::Ready);
  EXPECT_EQ(core::ImageCacheProgressPercent(*c), 100);
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i], seen[i - 1]);
  EXPECT_TRUE(std::any_of(seen.begin(), seen.end(), [](int p) { return p > 0 && p < 100; }))
      << "Progress never stood between 0% and 100% during a 3 s pull";
  int layer_events = 0;
  for (const auto& e : c->events) layer_events += e.reason == "PulledLayer" ? 1 : 0;
  EXPECT_EQ(layer_events, 3);
}

}  // namespace
}  // namespace openeci::runtime
