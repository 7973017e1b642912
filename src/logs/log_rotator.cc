#include "logs/log_rotator.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

namespace openeci::logs {

void LogRotator::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void LogRotator::Stop() {
  std::thread thread;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
}

void LogRotator::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (cv_.wait_for(lock, options_.interval, [this] { return stopping_; })) break;
    lock.unlock();
    StatusOr<int> rotated = RotateOnce();
    if (!rotated.ok()) spdlog::warn("log rotation: {}", rotated.status().ToString());
    lock.lock();
  }
}

StatusOr<int> LogRotator::RotateOnce() {
  std::lock_guard<std::mutex> pass(pass_mu_);
  ASSIGN_OR_RETURN(std::vector<runtime::ContainerInfo> containers, runtime_.ListContainers(""));
  int rotated = 0;
  for (const runtime::ContainerInfo& c : containers) {
    if (c.state != runtime::ContainerState::kRunning || c.log_path.empty()) continue;
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(c.log_path, ec);
    if (ec || size <= options_.max_bytes) continue;
    std::filesystem::rename(c.log_path, c.log_path + ".1", ec);  // replaces the old .1
    if (ec) {
      spdlog::warn("log rotation: renaming {}: {}", c.log_path, ec.message());
      continue;
    }
    ++rotated;
    if (Status st = runtime_.ReopenContainerLog(c.id); !st.ok()) {
      spdlog::warn("log rotation: reopening the log of container {}: {}", c.id, st.ToString());
    }
  }
  return rotated;
}

}  // namespace openeci::logs
