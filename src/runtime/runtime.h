// Runtime: what OpenECI needs from a container runtime, in its own words. The only
// implementation is cri::CriRuntime (containerd over the CRI gRPC API); unit tests of the core
// use a fake. Implementations must be thread-safe: the controller calls from several workers.
//
// Every sandbox and container OpenECI creates carries the label kGroupIdLabel, so that a
// restarted OpenECI can find (and re-adopt or remove) what it created.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace openeci::runtime {

inline constexpr const char* kGroupIdLabel = "openeci.group-id";
inline constexpr const char* kGenerationLabel = "openeci.generation";
inline constexpr const char* kContainerNameLabel = "openeci.container-name";

using Labels = std::map<std::string, std::string>;

// Lets one thread abort another thread's blocking runtime call (PullImage). The caller makes
// one per call and passes it in; any thread may Cancel() it, before or during the call, and
// the call then returns an error whose message carries the reason.
// Thread-safe.
class Cancellation {
 public:
  // Aborts the call (at once while it runs, or as soon as it starts) and records why.
  void Cancel(std::string reason) {
    std::lock_guard lock(mu_);
    if (!reason_.empty()) return;
    reason_ = reason.empty() ? "cancelled" : std::move(reason);
    if (abort_) abort_();
  }
  // Why the call was cancelled; empty when it was not.
  std::string reason() const {
    std::lock_guard lock(mu_);
    return reason_;
  }
  // For Runtime implementations: `abort` aborts the call in flight; it runs on Cancel(), or
  // at once when Cancel() came first. ClearAbort() before what `abort` touches goes away:
  // after it returns, `abort` is not running and never runs again.
  void SetAbort(std::function<void()> abort) {
    std::lock_guard lock(mu_);
    abort_ = std::move(abort);
    if (!reason_.empty() && abort_) abort_();
  }
  void ClearAbort() {
    std::lock_guard lock(mu_);
    abort_ = nullptr;
  }

 private:
  mutable std::mutex mu_;
  std::string reason_;           // guarded by mu_
  std::function<void()> abort_;  // guarded by mu_
};

struct RegistryAuth {
  std::string username;
  std::string password;
};

struct SandboxConfig {
  std::string name;       // metadata name (unique per uid + attempt)
  std::string uid;        // the group ID
  std::string namespace_ = "openeci";
  uint32_t attempt = 0;
  std::string hostname;
  Labels labels;
  std::string log_directory;  // absolute; container log paths are relative to it
  std::vector<std::string> dns_servers;
  std::vector<std::string> dns_searches;
  std::vector<std::string> dns_options;
  std::map<std::string, std::string> sysctls;
  std::string cgroup_parent;  // absolute cgroup path, e.g. "/openeci/eci-xxx"
};

// A bind mount of a host path into a container.
struct Mount {
  enum class Propagation { kPrivate, kHostToContainer, kBidirectional };
  std::string host_path;
  std::string container_path;
  bool read_only = false;
  Propagation propagation = Propagation::kPrivate;
};

struct ContainerConfig {
  std::string name;
  uint32_t attempt = 0;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;
  int64_t cpu_period = 0;  // CFS period in microseconds; 0 = unlimited
  int64_t cpu_quota = 0;   // CFS quota in microseconds; 0 = unlimited
  int64_t cpu_shares = 0;
  int64_t memory_limit_bytes = 0;  // 0 = unlimited
  Labels labels;
  std::string log_path;  // relative to SandboxConfig::log_directory
  bool tty = false;
  bool stdin_open = false;
  bool stdin_once = false;
  std::vector<Mount> mounts;
  std::optional<int64_t> run_as_user;  // the image's user when absent
  bool read_only_root_filesystem = false;
  std::vector<std::string> add_capabilities;  // e.g. "NET_ADMIN", on top of the defaults
};

enum class SandboxState { kReady, kNotReady };
enum class ContainerState { kCreated, kRunning, kExited, kUnknown };

struct SandboxInfo {
  std::string id;
  SandboxState state = SandboxState::kNotReady;
  std::string ip;  // empty until the network is set up
  Labels labels;
  int64_t created_at_ns = 0;
};

struct ContainerInfo {
  std::string id;
  std::string sandbox_id;
  std::string name;  // metadata name
  uint32_t attempt = 0;
  std::string image;
  ContainerState state = ContainerState::kUnknown;
  Labels labels;
  int64_t created_at_ns = 0;
  int64_t started_at_ns = 0;   // 0 when never started
  int64_t finished_at_ns = 0;  // 0 when not finished
  int exit_code = 0;
  std::string reason;   // e.g. "Completed", "Error", "OOMKilled"
  std::string message;
  std::string log_path;  // absolute
};

struct ExecSyncResult {
  int exit_code = 0;
  std::string stdout_data;
  std::string stderr_data;
};

struct CpuStats {
  int64_t timestamp_ns = 0;
  uint64_t usage_core_nanoseconds = 0;  // cumulative
  uint64_t usage_nano_cores = 0;        // rate over the runtime's last sampling window
};

struct MemoryStats {
  int64_t timestamp_ns = 0;
  uint64_t working_set_bytes = 0;
  uint64_t usage_bytes = 0;
  uint64_t available_bytes = 0;
  uint64_t rss_bytes = 0;
  uint64_t cache_bytes = 0;  // page cache (from the cgroup's memory.stat)
};

struct InterfaceStats {
  std::string name;
  uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_drops = 0;
  uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_drops = 0;
};

struct ContainerStats {
  std::string id;
  std::string name;  // metadata name
  Labels labels;
  CpuStats cpu;
  MemoryStats memory;
};

struct SandboxStats {
  std::string id;
  Labels labels;
  CpuStats cpu;
  MemoryStats memory;
  std::vector<InterfaceStats> interfaces;  // the pod's network interfaces (eth0, ...)
  std::vector<ContainerStats> containers;
};

struct ImageInfo {
  std::string id;                      // "sha256:..."
  std::vector<std::string> repo_tags;  // normalised references
  uint64_t size_bytes = 0;
};

class Runtime {
 public:
  virtual ~Runtime() = default;

  // Runtime name and version, e.g. "containerd 1.6.20"; Unavailable when it does not answer.
  virtual StatusOr<std::string> Version() = 0;

  virtual StatusOr<bool> ImageExists(const std::string& image) = 0;
  // Pulls `image` with `auth` when given. On failure the Status message is the registry's
  // or containerd's own explanation (e.g. "401 Unauthorized"). `cancel` (may be null) lets
  // another thread abort the pull: it then fails with kUnavailable naming cancel's reason.
  virtual Status PullImage(const std::string& image, const std::optional<RegistryAuth>& auth,
                           Cancellation* cancel) = 0;

  virtual StatusOr<std::string> RunSandbox(const SandboxConfig& config) = 0;
  // Stops every container of the sandbox and tears its network down. Idempotent.
  virtual Status StopSandbox(const std::string& sandbox_id) = 0;
  // Removes the sandbox, its containers and whatever the runtime leaves behind (cgroup
  // directories, network state). Idempotent: removing an absent sandbox is ok.
  virtual Status RemoveSandbox(const std::string& sandbox_id) = 0;
  // Removes the pod cgroup directory `cgroup_parent` (a SandboxConfig::cgroup_parent) and every
  // cgroup below it that holds no process, in every hierarchy; directories in use stay. For a
  // group whose sandboxes are all gone: a sandbox whose creation was cut short (OpenECI killed
  // during RunSandbox, a deadline) leaves such directories, and the runtime knows no sandbox
  // to remove them with. Idempotent.
  virtual Status RemovePodCgroups(const std::string& cgroup_parent) = 0;
  virtual StatusOr<SandboxInfo> InspectSandbox(const std::string& sandbox_id) = 0;
  // Sets the hostname of the sandbox's UTS namespace, which all its containers share: for a
  // sandbox run before its group was known (the warm sandbox pool, controller/sandbox_pool.h).
  // Idempotent. Runtimes that cannot do it answer kFailedPrecondition (no pool then).
  virtual Status SetSandboxHostname(const std::string& sandbox_id, const std::string& hostname) {
    (void)sandbox_id;
    (void)hostname;
    return Status(StatusClass::kFailedPrecondition, "NotSupported",
                  "this runtime cannot set a sandbox's hostname");
  }
  // Every sandbox, ready or not.
  virtual StatusOr<std::vector<SandboxInfo>> ListSandboxes() = 0;
  // The sandboxes (ready or not) that carry every label of `selector`. This default filters
  // ListSandboxes(); a runtime that can select on its side (CRI's label selector) avoids
  // inspecting every other sandbox of the machine.
  virtual StatusOr<std::vector<SandboxInfo>> ListSandboxesWithLabels(const Labels& selector) {
    StatusOr<std::vector<SandboxInfo>> all = ListSandboxes();
    if (!all.ok()) return all;
    std::erase_if(*all, [&](const SandboxInfo& sb) {
      for (const auto& [key, value] : selector) {
        auto it = sb.labels.find(key);
        if (it == sb.labels.end() || it->second != value) return true;
      }
      return false;
    });
    return all;
  }

  virtual StatusOr<std::string> CreateContainer(const std::string& sandbox_id,
                                                const ContainerConfig& config,
                                                const SandboxConfig& sandbox) = 0;
  virtual Status StartContainer(const std::string& container_id) = 0;
  // SIGTERM, then SIGKILL after `timeout_seconds`. Idempotent.
  virtual Status StopContainer(const std::string& container_id, int64_t timeout_seconds) = 0;
  virtual Status RemoveContainer(const std::string& container_id) = 0;
  virtual StatusOr<ContainerInfo> InspectContainer(const std::string& container_id) = 0;
  // The containers of one sandbox, or of all when `sandbox_id` is empty.
  virtual StatusOr<std::vector<ContainerInfo>> ListContainers(const std::string& sandbox_id) = 0;

  // Runs `command` in a running container and returns its output; DEADLINE_EXCEEDED becomes a
  // kUnavailable status naming the timeout.
  virtual StatusOr<ExecSyncResult> ExecSync(const std::string& container_id,
                                            const std::vector<std::string>& command,
                                            int64_t timeout_seconds) = 0;
  // Prepares an interactive exec and returns the runtime's streaming URL for it (Kubernetes
  // channel protocol over WebSocket, e.g. "http://127.0.0.1:PORT/exec/TOKEN"). The URL is
  // single-use and expires quickly.
  virtual StatusOr<std::string> Exec(const std::string& container_id,
                                     const std::vector<std::string>& command, bool tty,
                                     bool stdin_open) = 0;
  // Asks the runtime to reopen the container's log file (after it was rotated away).
  virtual Status ReopenContainerLog(const std::string& container_id) = 0;
  // Stats of every ready sandbox and its running containers.
  virtual StatusOr<std::vector<SandboxStats>> ListSandboxStats() = 0;

  virtual StatusOr<std::vector<ImageInfo>> ListImages() = 0;
  // Removes the image; ok when it is already absent.
  virtual Status RemoveImage(const std::string& image) = 0;
};

}  // namespace openeci::runtime
