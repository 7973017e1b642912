// ContainerdSupervisor: keeps OpenECI's own containerd running. containerd can die under
// OpenECI (a crash, the OOM killer, an operator's kill -9). The pods do not die with it, their
// shims outlive it, but until it is back nothing can be started, stopped or observed. A thread
// looks every check_interval whether the process exited; when it did, it logs how and starts a
// new containerd on the same state directory (ContainerdProcess::Start). That one reconnects
// to the running shims: CRI recovers the sandboxes and containers, reporting the ones that
// exited meanwhile as exited, and the controller carries on from there (restarting them per
// their policy); the CRI clients' gRPC channels reconnect by themselves. A start that fails is
// retried after a doubling back-off. An external containerd (ContainerdOptions::
// external_socket) is not supervised.
//
// Thread-safety: Start() and Stop() from one thread; restarts() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/containerd/containerd_process.h"

namespace openeci::runtime {

struct ContainerdSupervisorOptions {
  std::chrono::milliseconds check_interval{200};
  // Between failed starts: doubling from base, capped.
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_max{30000};
};

class ContainerdSupervisor {
 public:
  // `process` was started with `start_options`; a restart uses them again.
  ContainerdSupervisor(ContainerdOptions start_options, std::unique_ptr<ContainerdProcess> process,
                       ContainerdSupervisorOptions options = {});
  ~ContainerdSupervisor();
  ContainerdSupervisor(const ContainerdSupervisor&) = delete;
  ContainerdSupervisor& operator=(const ContainerdSupervisor&) = delete;

  // The socket every containerd this supervisor runs listens on (it never changes).
  const std::string& socket_path() const { return socket_path_; }
  // Starts watching (a no-op for an external containerd).
  void Start();
  // Stops watching, then stops containerd (ContainerdProcess::Stop). Idempotent.
  Status Stop();
  // How many times containerd was started again.
  int restarts() const { return restarts_; }

 private:
  void Loop();
  // Starts containerd until it comes up or Stop() is called; false when stopped.
  bool Restart(const std::string& exit_reason);
  // Waits `d` unless Stop() is called meanwhile; false when stopped.
  bool Sleep(std::chrono::milliseconds d);

  const ContainerdOptions start_options_;
  const ContainerdSupervisorOptions options_;
  const std::string socket_path_;
  // Owned by the supervisor thread while it runs; by the caller of Stop() after.
  std::unique_ptr<ContainerdProcess> process_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::atomic<int> restarts_{0};
  std::thread thread_;
};

}  // namespace openeci::runtime
