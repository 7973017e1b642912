// Readiness: whether this server can do its work right now, for /readyz and the containerd
// health metrics. Each dependency is a TimedProbe: a blocking check (the store answers a
// query, containerd answers CRI Version) run on a thread of its own, waited for at most a
// timeout, so that a hung dependency makes the answer "not ready" instead of hanging the
// caller. A probe never runs twice at once: while an earlier check is still blocked, callers
// wait for that one (up to their timeout) instead of piling up threads.
//
// Thread-safe: Run, Begin/Await and Readiness::Check may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace openeci::ops {

class TimedProbe {
 public:
  // `check` answers ok with a short detail ("containerd 1.6.20", may be empty) or why not.
  using Check = std::function<StatusOr<std::string>()>;

  TimedProbe(std::string name, Check check, std::chrono::milliseconds timeout);
  // Waits for a check still running (the check must return eventually: give it a deadline).
  ~TimedProbe();
  TimedProbe(const TimedProbe&) = delete;
  TimedProbe& operator=(const TimedProbe&) = delete;

  const std::string& name() const { return name_; }

  // Begin() starts a check unless one is running; Await() waits for it until `deadline`:
  // its result, or Unavailable "did not answer within N ms".
  void Begin();
  StatusOr<std::string> Await(std::chrono::steady_clock::time_point deadline);
  // Begin() then Await() with this probe's timeout.
  StatusOr<std::string> Run();

  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    bool running = false;
    StatusOr<std::string> result = std::string();
  };

  const std::string name_;
  const Check check_;
  const std::chrono::milliseconds timeout_;
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::mutex thread_mu_;
  std::thread thread_;  // the last check's thread; guarded by thread_mu_
};

struct ReadinessResult {
  bool ready = false;
  // One line per probe: "store: ok" or "containerd: <why not>".
  std::string report;
};

class Readiness {
 public:
  // Not owned; must outlive this object.
  explicit Readiness(std::vector<TimedProbe*> probes);
  // Runs every probe at once and waits for them (each up to its own timeout).
  ReadinessResult Check();

 private:
  std::vector<TimedProbe*> probes_;
};

}  // namespace openeci::ops
