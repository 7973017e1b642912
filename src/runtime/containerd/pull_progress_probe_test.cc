// PullProgressProbe against a real containerd (its own, in a temp dir) pulling a 3-layer image
// of random bytes from a local docker-registry through a throttling TCP proxy, so that the
// pull lasts a few seconds and its layer ingests can be watched. Needs root, containerd,
// docker-registry, umoci and skopeo (skipped when a tool is missing).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "runtime/containerd/containerd_process.h"
#include "runtime/containerd/pull_progress.h"
#include "runtime/cri/cri_runtime.h"
#include "runtime/testing/local_registry.h"

namespace openeci::runtime {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Listens on 127.0.0.1 and forwards each connection to `target_port`, passing the replies
// on at about `bytes_per_second`.
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
    while (!stopping_) {
      ssize_t n = ::read(from, buf, rate > 0 ? 4096 : sizeof(buf));
      if (n <= 0) break;
      for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(to, buf + off, n - off);
        if (w <= 0) return;
        off += w;
      }
      if (rate > 0) std::this_thread::sleep_for(std::chrono::microseconds(n * 1000000 / rate));
    }
    ::shutdown(to, SHUT_WR);
  }

  const int target_port_;
  const int64_t rate_;
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

TEST(PullProgressProbeTest, SeesLayerIngestsOfASlowPull) {
  if (Shell("command -v docker-registry >/dev/null && command -v umoci >/dev/null && "
            "command -v skopeo >/dev/null && command -v containerd >/dev/null") != 0) {
    GTEST_SKIP() << "docker-registry, umoci, skopeo or containerd not installed";
  }
  char tmpl[] = "/tmp/oeci-pp-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() { RemoveTree(dir); }
  } cleanup{dir};

  // A 3-layer image of 3 MiB of random bytes each.
  const std::string layout = dir + "/layout";
  ASSERT_EQ(Shell("umoci init --layout " + layout + " && umoci new --image " + layout + ":big"), 0);
  for (int i = 0; i < 3; ++i) {
    const std::string bundle = dir + "/bundle";
    const std::string cmd = "umoci unpack --image " + layout + ":big " + bundle +
                            " >/dev/null && head -c 3145728 /dev/urandom > " + bundle +
                            "/rootfs/blob" + std::to_string(i) + " && umoci repack --image " +
                            layout + ":big " + bundle + " && rm -rf " + bundle;
    ASSERT_EQ(Shell(cmd), 0) << cmd;
  }

  testing::LocalRegistry registry(dir + "/registry");
  ASSERT_TRUE(registry.ok());
  const int registry_port = registry.port();
  const std::string push = "skopeo copy -q --dest-tls-verify=false oci:" + layout +
                           ":big docker://127.0.0.1:" + std::to_string(registry_port) +
                           "/openeci/big:1 2>/dev/null";
  bool pushed = false;
  for (int i = 0; i < 50 && !pushed; ++i) {
    pushed = Shell(push) == 0;
    if (!pushed) std::this_thread::sleep_for(milliseconds(200));
  }
  ASSERT_TRUE(pushed) << push;

  ContainerdOptions o;
  o.state_dir = dir + "/containerd";
  o.bridge_name = "openeci-t9";
  o.subnet = "10.89.9.0/24";
  auto containerd = ContainerdProcess::Start(o);
  ASSERT_TRUE(containerd.ok()) << containerd.status().ToString();
  struct Stopper {
    ContainerdProcess* p;
    ~Stopper() { EXPECT_TRUE(p->Stop().ok()); }
  } stopper{containerd->get()};
  auto cri = CriRuntime::Connect((*containerd)->socket_path());
  ASSERT_TRUE(cri.ok()) << cri.status().ToString();
  auto probe = PullProgressProbe::Connect((*containerd)->socket_path());
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();

  auto idle = (*probe)->Active();
  ASSERT_TRUE(idle.ok()) << idle.status().ToString();
  EXPECT_TRUE(idle->empty());

  // 9 MiB at 3 MiB/s: about three seconds of pull to watch.
  SlowProxy proxy(registry_port, 3 << 20);
  const std::string image = "127.0.0.1:" + std::to_string(proxy.port()) + "/openeci/big:1";
  std::atomic<bool> done{false};
  Status pulled;
  std::thread puller([&] {
    pulled = (*cri)->PullImage(image, std::nullopt);
    done = true;
  });
  PullProgress progress;
  std::vector<double> fractions;
  int layer_snapshots = 0;
  int completed = 0;
  std::string probe_error;
  while (!done) {
    auto active = (*probe)->Active();
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
  auto after = (*probe)->Active();
  ASSERT_TRUE(after.ok());
  progress.Update(*after);
  completed += static_cast<int>(progress.just_completed().size());
  EXPECT_DOUBLE_EQ(progress.fraction(), 1.0);
  EXPECT_GE(completed, 1);
  std::printf("layer snapshots: %d, completed layers seen: %d, polls: %zu\n", layer_snapshots,
              completed, fractions.size());
}

}  // namespace
}  // namespace openeci::runtime
