// LogRotator: keeps every running container's CRI log file bounded. Every `interval` it looks
// at the log file of each running container the runtime lists; one larger than `max_bytes` is
// renamed to "<file>.1" (replacing the previous ".1") and the runtime is asked to reopen the
// container's log, so a chatty container holds at most about 2 x max_bytes of disk per attempt.
// The reader (log_reader.h) reads "<file>.1" before "<file>" when it needs older lines.
//
// Thread-safe: Start/Stop may be called from any thread (Stop joins the background thread);
// RotateOnce may run concurrently with the background pass (passes are serialised).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "common/status.h"
#include "runtime/runtime.h"

namespace openeci::logs {

struct LogRotatorOptions {
  uint64_t max_bytes = 10ULL << 20;
  std::chrono::milliseconds interval{10000};
};

class LogRotator {
 public:
  // `runtime` must outlive the rotator.
  LogRotator(runtime::Runtime& runtime, LogRotatorOptions options)
      : runtime_(runtime), options_(options) {}
  ~LogRotator() { Stop(); }
  LogRotator(const LogRotator&) = delete;
  LogRotator& operator=(const LogRotator&) = delete;

  // Starts the background pass; a second Start is a no-op.
  void Start();
  // Stops and joins the background pass; idempotent.
  void Stop();

  // One pass now. Returns how many files it rotated; a failure to list the containers is
  // returned, a failure on one file is logged and the pass goes on.
  StatusOr<int> RotateOnce();

 private:
  void Run();

  runtime::Runtime& runtime_;
  const LogRotatorOptions options_;
  std::mutex pass_mu_;  // one pass at a time
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;     // guarded by mu_
};

}  // namespace openeci::logs
