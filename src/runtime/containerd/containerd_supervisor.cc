#include "runtime/containerd/containerd_supervisor.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace openeci::runtime {

ContainerdSupervisor::ContainerdSupervisor(ContainerdOptions start_options,
                                           std::unique_ptr<ContainerdProcess> process,
                                           ContainerdSupervisorOptions options)
    : start_options_(std::move(start_options)),
      options_(options),
      socket_path_(process->socket_path()),
      process_(std::move(process)) {}

ContainerdSupervisor::~ContainerdSupervisor() { Stop(); }

void ContainerdSupervisor::Start() {
  if (!start_options_.external_socket.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

Status ContainerdSupervisor::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  return process_ ? process_->Stop() : Status::Ok();
}

bool ContainerdSupervisor::Sleep(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

void ContainerdSupervisor::Loop() {
  while (Sleep(options_.check_interval)) {
    const pid_t pid = process_->pid();
    std::optional<std::string> exit_reason = process_->ExitReason();
    if (!exit_reason) continue;
    spdlog::error("containerd (pid {}) {}: the pods keep running; starting containerd again",
                  pid, *exit_reason);
    if (!Restart(*exit_reason)) return;
  }
}

bool ContainerdSupervisor::Restart(const std::string& exit_reason) {
  const auto down_since = std::chrono::steady_clock::now();
  std::chrono::milliseconds backoff = options_.backoff_base;
  for (int attempt = 1;; ++attempt) {
    StatusOr<std::unique_ptr<ContainerdProcess>> started = ContainerdProcess::Start(start_options_);
    if (started.ok()) {
      process_ = std::move(started).value();
      ++restarts_;
      const auto down = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - down_since);
      spdlog::warn("containerd restarted (pid {}), {} ms after it went down ({}); restart {} "
                   "of this server",
                   process_->pid(), down.count(), exit_reason, restarts_.load());
      return true;
    }
    spdlog::error("starting containerd again (attempt {}) failed: {}; next try in {} ms",
                  attempt, started.status().ToString(), backoff.count());
    if (!Sleep(backoff)) return false;
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

}  // namespace openeci::runtime
