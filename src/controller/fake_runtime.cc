#include "controller/fake_runtime.h"

#include <thread>

#include <algorithm>
#include <chrono>

#include "runtime/image_ref.h"

namespace openeci::controller {
namespace {

using runtime::ContainerInfo;
using runtime::ContainerState;
using runtime::SandboxInfo;
using runtime::SandboxState;

Status NotFound(const std::string& what, const std::string& id) {
  return Status(StatusClass::kNotFound, "InvalidParameter.NotFound",
                what + " " + id + " not found");
}

std::string LabelOf(const runtime::Labels& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

}  // namespace

FakeRuntime::FakeRuntime(const Clock& clock) : clock_(clock) {}

int64_t FakeRuntime::NowNs() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Now().time_since_epoch())
      .count();
}

// --- Test controls ---------------------------------------------------------------------------

void FakeRuntime::AddImage(const std::string& image) {
  std::lock_guard lock(mu_);
  images_.insert(runtime::NormalizeImage(image));
}

void FakeRuntime::FailPulls(std::string message) {
  std::lock_guard lock(mu_);
  pull_error_ = std::move(message);
}

std::vector<FakeRuntime::Pull> FakeRuntime::Pulls() const {
  std::lock_guard lock(mu_);
  return pulls_;
}

FakeRuntime::Calls FakeRuntime::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

Status FakeRuntime::ExitContainer(const std::string& id, int exit_code) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return NotFound("container", id);
  }
  if (it->second.state != ContainerState::kRunning) {
    return Status(StatusClass::kFailedPrecondition, "IncorrectStatus",
                  "container " + id + " is not running");
  }
  ExitLocked(it->second, exit_code);
  return Status::Ok();
}

Status FakeRuntime::OomKillContainer(const std::string& id) {
  RETURN_IF_ERROR(ExitContainer(id, 137));
  std::lock_guard lock(mu_);
  containers_[id].reason = "OOMKilled";
  return Status::Ok();
}

std::vector<ContainerInfo> FakeRuntime::ContainersNamed(const std::string& group_id,
                                                        const std::string& name) const {
  std::lock_guard lock(mu_);
  std::vector<ContainerInfo> out;
  for (const auto& [id, c] : containers_) {
    if (LabelOf(c.labels, runtime::kGroupIdLabel) == group_id &&
        LabelOf(c.labels, runtime::kContainerNameLabel) == name) {
      out.push_back(c);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ContainerInfo& a, const ContainerInfo& b) { return a.attempt < b.attempt; });
  return out;
}

size_t FakeRuntime::SandboxCount() const {
  std::lock_guard lock(mu_);
  return sandboxes_.size();
}

std::vector<runtime::SandboxConfig> FakeRuntime::SandboxConfigs() const {
  std::lock_guard lock(mu_);
  return sandbox_configs_;
}

std::vector<runtime::ContainerConfig> FakeRuntime::ContainerConfigs() const {
  std::lock_guard lock(mu_);
  return container_configs_;
}

void FakeRuntime::KillSandbox(const std::string& id) {
  std::lock_guard lock(mu_);
  EraseSandboxLocked(id);
}

void FakeRuntime::SetExecResult(StatusOr<runtime::ExecSyncResult> result) {
  std::lock_guard lock(mu_);
  exec_result_ = std::move(result);
}

std::vector<std::pair<std::string, std::vector<std::string>>> FakeRuntime::Execs() const {
  std::lock_guard lock(mu_);
  return execs_;
}

void FakeRuntime::SetContainerStats(const std::string& container_id,
                                    const runtime::CpuStats& cpu,
                                    const runtime::MemoryStats& memory) {
  std::lock_guard lock(mu_);
  runtime::ContainerStats& stats = container_stats_[container_id];
  stats.cpu = cpu;
  stats.memory = memory;
}

void FakeRuntime::SetSandboxInterfaces(const std::string& sandbox_id,
                                       std::vector<runtime::InterfaceStats> interfaces) {
  std::lock_guard lock(mu_);
  interfaces_[sandbox_id] = std::move(interfaces);
}

StatusOr<ContainerInfo*> FakeRuntime::RunningLocked(const std::string& id, const char* what) {
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return NotFound("container", id);
  }
  if (it->second.state != ContainerState::kRunning) {
    return InternalError(std::string(what) + ": container " + id + " is not running");
  }
  return &it->second;
}

void FakeRuntime::ExitLocked(ContainerInfo& c, int exit_code) {
  c.state = ContainerState::kExited;
  c.exit_code = exit_code;
  c.finished_at_ns = NowNs();
  // containerd's reasons (OOMKilled: OomKillContainer).
  c.reason = exit_code == 0 ? "Completed" : "Error";
}

void FakeRuntime::EraseSandboxLocked(const std::string& id) {
  std::erase_if(containers_, [&](const auto& entry) { return entry.second.sandbox_id == id; });
  sandboxes_.erase(id);
}

// --- runtime::Runtime ------------------------------------------------------------------------

StatusOr<std::string> FakeRuntime::Version() { return std::string("fake 1.0"); }

StatusOr<bool> FakeRuntime::ImageExists(const std::string& image) {
  std::lock_guard lock(mu_);
  return images_.count(runtime::NormalizeImage(image)) > 0;
}

void FakeRuntime::DelayPulls(std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  pull_delay_ = delay;
}

Status FakeRuntime::PullImage(const std::string& image,
                              const std::optional<runtime::RegistryAuth>& auth,
                              runtime::Cancellation* cancel) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mu_);
    delay = pull_delay_;
  }
  const auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (cancel != nullptr && !cancel->reason().empty()) {
      return UnavailableError("pull " + image + ": " + cancel->reason());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::lock_guard lock(mu_);
  ++calls_.pull_image;
  pulls_.push_back({image, auth});
  if (!pull_error_.empty()) {
    return InternalError("pull " + image + ": " + pull_error_);
  }
  images_.insert(runtime::NormalizeImage(image));
  return Status::Ok();
}

StatusOr<std::string> FakeRuntime::RunSandbox(const runtime::SandboxConfig& config) {
  std::lock_guard lock(mu_);
  ++calls_.run_sandbox;
  std::string reserved = config.name + "/" + config.uid + "/" + config.namespace_ + "/" +
                         std::to_string(config.attempt);
  for (const auto& [id, sb] : sandboxes_) {
    if (sb.reserved_name == reserved) {
      return InternalError("RunPodSandbox: name " + reserved + " is reserved for " + id);
    }
  }
  Sandbox sb;
  sb.info.id = "sandbox-" + std::to_string(next_id_++);
  sb.info.state = SandboxState::kReady;
  sb.info.ip = "10.0.0." + std::to_string(next_ip_++);
  sb.info.labels = config.labels;
  sb.info.created_at_ns = NowNs();
  sb.reserved_name = reserved;
  sb.log_directory = config.log_directory;
  sb.hostname = config.hostname;
  sandbox_configs_.push_back(config);
  std::string id = sb.info.id;
  sandboxes_.emplace(id, std::move(sb));
  return id;
}

Status FakeRuntime::SetSandboxHostname(const std::string& sandbox_id,
                                       const std::string& hostname) {
  std::lock_guard lock(mu_);
  auto it = sandboxes_.find(sandbox_id);
  if (it == sandboxes_.end() || it->second.info.state != SandboxState::kReady) {
    return UnavailableError("sandbox " + sandbox_id + " does not run");
  }
  it->second.hostname = hostname;
  return Status::Ok();
}

std::string FakeRuntime::HostnameOf(const std::string& sandbox_id) const {
  std::lock_guard lock(mu_);
  auto it = sandboxes_.find(sandbox_id);
  return it == sandboxes_.end() ? std::string() : it->second.hostname;
}

Status FakeRuntime::StopSandbox(const std::string& sandbox_id) {
  std::lock_guard lock(mu_);
  ++calls_.stop_sandbox;
  auto it = sandboxes_.find(sandbox_id);
  if (it == sandboxes_.end()) {
    return Status::Ok();
  }
  it->second.info.state = SandboxState::kNotReady;
  for (auto& [id, c] : containers_) {
    if (c.sandbox_id == sandbox_id && c.state == ContainerState::kRunning) {
      ExitLocked(c, 137);
    }
  }
  return Status::Ok();
}

Status FakeRuntime::RemoveSandbox(const std::string& sandbox_id) {
  std::lock_guard lock(mu_);
  ++calls_.remove_sandbox;
  EraseSandboxLocked(sandbox_id);
  return Status::Ok();
}

Status FakeRuntime::RemovePodCgroups(const std::string& cgroup_parent) {
  std::lock_guard lock(mu_);
  calls_.removed_pod_cgroups.push_back(cgroup_parent);
  return Status::Ok();
}

StatusOr<SandboxInfo> FakeRuntime::InspectSandbox(const std::string& sandbox_id) {
  std::lock_guard lock(mu_);
  auto it = sandboxes_.find(sandbox_id);
  if (it == sandboxes_.end()) {
    return NotFound("sandbox", sandbox_id);
  }
  return it->second.info;
}

StatusOr<std::vector<SandboxInfo>> FakeRuntime::ListSandboxes() {
  std::lock_guard lock(mu_);
  std::vector<SandboxInfo> out;
  for (const auto& [id, sb] : sandboxes_) {
    out.push_back(sb.info);
  }
  return out;
}

StatusOr<std::string> FakeRuntime::CreateContainer(const std::string& sandbox_id,
                                                   const runtime::ContainerConfig& config,
                                                   const runtime::SandboxConfig& sandbox) {
  std::lock_guard lock(mu_);
  ++calls_.create_container;
  auto sb = sandboxes_.find(sandbox_id);
  if (sb == sandboxes_.end()) {
    return NotFound("sandbox", sandbox_id);
  }
  if (sb->second.info.state != SandboxState::kReady) {
    return InternalError("CreateContainer: sandbox " + sandbox_id + " is not running");
  }
  if (!images_.count(runtime::NormalizeImage(config.image))) {
    return InternalError("CreateContainer: failed to resolve image \"" + config.image +
                         "\": not found");
  }
  for (const auto& [id, c] : containers_) {
    if (c.sandbox_id == sandbox_id && c.name == config.name && c.attempt == config.attempt) {
      return InternalError("CreateContainer: name " + config.name + "_" +
                           std::to_string(config.attempt) + " is reserved for " + id);
    }
  }
  ContainerInfo c;
  c.id = "container-" + std::to_string(next_id_++);
  c.sandbox_id = sandbox_id;
  c.name = config.name;
  c.attempt = config.attempt;
  c.image = config.image;
  c.state = ContainerState::kCreated;
  c.labels = config.labels;
  c.created_at_ns = NowNs();
  c.log_path = sb->second.log_directory + "/" + config.log_path;
  container_configs_.push_back(config);
  std::string id = c.id;
  containers_.emplace(id, std::move(c));
  return id;
}

Status FakeRuntime::StartContainer(const std::string& container_id) {
  std::lock_guard lock(mu_);
  ++calls_.start_container;
  auto it = containers_.find(container_id);
  if (it == containers_.end()) {
    return NotFound("container", container_id);
  }
  ContainerInfo& c = it->second;
  if (c.state != ContainerState::kCreated) {
    return InternalError("StartContainer: container " + container_id + " is not in created state");
  }
  if (sandboxes_.at(c.sandbox_id).info.state != SandboxState::kReady) {
    return InternalError("StartContainer: sandbox " + c.sandbox_id + " is not running");
  }
  c.state = ContainerState::kRunning;
  c.started_at_ns = NowNs();
  return Status::Ok();
}

Status FakeRuntime::StopContainer(const std::string& container_id, int64_t timeout_seconds) {
  std::lock_guard lock(mu_);
  ++calls_.stop_container;
  calls_.stop_timeouts.push_back(timeout_seconds);
  auto it = containers_.find(container_id);
  // Like containerd, stopping a container that does not run (created, exited) changes nothing.
  if (it != containers_.end() && it->second.state == ContainerState::kRunning) {
    // The fake's processes ignore SIGTERM: they are killed when the grace period is over.
    ExitLocked(it->second, 137);
  }
  return Status::Ok();
}

Status FakeRuntime::RemoveContainer(const std::string& container_id) {
  std::lock_guard lock(mu_);
  ++calls_.remove_container;
  containers_.erase(container_id);
  return Status::Ok();
}

StatusOr<ContainerInfo> FakeRuntime::InspectContainer(const std::string& container_id) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(container_id);
  if (it == containers_.end()) {
    return NotFound("container", container_id);
  }
  return it->second;
}

StatusOr<std::vector<ContainerInfo>> FakeRuntime::ListContainers(const std::string& sandbox_id) {
  std::lock_guard lock(mu_);
  std::vector<ContainerInfo> out;
  for (const auto& [id, c] : containers_) {
    if (sandbox_id.empty() || c.sandbox_id == sandbox_id) {
      out.push_back(c);
    }
  }
  return out;
}

StatusOr<std::vector<runtime::ImageInfo>> FakeRuntime::ListImages() {
  std::lock_guard lock(mu_);
  std::vector<runtime::ImageInfo> out;
  for (const std::string& image : images_) {
    runtime::ImageInfo info;
    info.id = "sha256:" + image;
    info.repo_tags = {image};
    auto it = image_sizes_.find(image);
    info.size_bytes = it == image_sizes_.end() ? (1u << 20) : it->second;
    out.push_back(std::move(info));
  }
  return out;
}

Status FakeRuntime::RemoveImage(const std::string& image) {
  std::lock_guard lock(mu_);
  images_.erase(runtime::NormalizeImage(image));
  return Status::Ok();
}

void FakeRuntime::SetImageSize(const std::string& image, uint64_t bytes) {
  std::lock_guard lock(mu_);
  image_sizes_[runtime::NormalizeImage(image)] = bytes;
}

StatusOr<runtime::ExecSyncResult> FakeRuntime::ExecSync(const std::string& container_id,
                                                       const std::vector<std::string>& command,
                                                       int64_t /*timeout_seconds*/) {
  std::lock_guard lock(mu_);
  execs_.emplace_back(container_id, command);
  RETURN_IF_ERROR(RunningLocked(container_id, "ExecSync").status());
  return exec_result_;
}

StatusOr<std::string> FakeRuntime::Exec(const std::string& container_id,
                                        const std::vector<std::string>& /*command*/,
                                        bool /*tty*/, bool /*stdin_open*/) {
  std::lock_guard lock(mu_);
  ++calls_.exec;
  RETURN_IF_ERROR(RunningLocked(container_id, "Exec").status());
  return "http://127.0.0.1:0/exec/fake-" + std::to_string(next_id_++);
}

Status FakeRuntime::ReopenContainerLog(const std::string& container_id) {
  std::lock_guard lock(mu_);
  ++calls_.reopen_log;
  return RunningLocked(container_id, "ReopenContainerLog").status();
}

StatusOr<std::vector<runtime::SandboxStats>> FakeRuntime::ListSandboxStats() {
  std::lock_guard lock(mu_);
  const int64_t now = NowNs();
  std::vector<runtime::SandboxStats> out;
  for (const auto& [sandbox_id, sb] : sandboxes_) {
    if (sb.info.state != SandboxState::kReady) {
      continue;
    }
    runtime::SandboxStats pod;
    pod.id = sandbox_id;
    pod.labels = sb.info.labels;
    pod.cpu.timestamp_ns = now;
    pod.memory.timestamp_ns = now;
    auto ifs = interfaces_.find(sandbox_id);
    if (ifs != interfaces_.end()) {
      pod.interfaces = ifs->second;
    } else {
      pod.interfaces.push_back({.name = "eth0"});
    }
    for (const auto& [id, c] : containers_) {
      if (c.sandbox_id != sandbox_id || c.state != ContainerState::kRunning) {
        continue;
      }
      runtime::ContainerStats stats;
      auto configured = container_stats_.find(id);
      if (configured != container_stats_.end()) {
        stats = configured->second;
      }
      stats.id = id;
      stats.name = c.name;
      stats.labels = c.labels;
      if (stats.cpu.timestamp_ns == 0) {
        stats.cpu.timestamp_ns = now;
      }
      if (stats.memory.timestamp_ns == 0) {
        stats.memory.timestamp_ns = now;
      }
      pod.cpu.usage_core_nanoseconds += stats.cpu.usage_core_nanoseconds;
      pod.cpu.usage_nano_cores += stats.cpu.usage_nano_cores;
      pod.memory.working_set_bytes += stats.memory.working_set_bytes;
      pod.memory.usage_bytes += stats.memory.usage_bytes;
      pod.memory.available_bytes += stats.memory.available_bytes;
      pod.memory.rss_bytes += stats.memory.rss_bytes;
      pod.memory.cache_bytes += stats.memory.cache_bytes;
      pod.containers.push_back(std::move(stats));
    }
    out.push_back(std::move(pod));
  }
  return out;
}

}  // namespace openeci::controller
