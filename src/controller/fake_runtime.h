// FakeRuntime: an in-memory runtime::Runtime for unit tests of the controller, so that phases,
// restart back-off, events and crash re-adoption are tested without containerd and without
// sleeping. The project allows a fake runtime only here; everything else runs against
// cri::CriRuntime.
//
// It follows the contract of runtime.h as containerd's CRI plugin implements it:
//   * unknown IDs answer kNotFound / "InvalidParameter.NotFound", except StopSandbox,
//     RemoveSandbox, StopContainer and RemoveContainer, which are idempotent and answer Ok;
//   * a sandbox name (name, uid, namespace, attempt) and a container name (name, attempt) within
//     a sandbox are reserved while their owner exists, as containerd reserves them;
//   * containers are created only in a ready sandbox, from an image that is present, and start
//     only once;
//   * StopSandbox marks the sandbox not ready and kills its running containers (exit 137);
//     the sandbox keeps its IP, as containerd reports it after the network is torn down;
//   * RemoveSandbox removes the sandbox's containers; RemoveContainer kills a running one.
// Nothing runs: a container stays Running until the test calls ExitContainer (or the
// controller stops it). Timestamps come from the injected Clock. IPs are 10.0.0.2, .3, ...,
// never reused.
//
// Thread-safe: one mutex guards all state.
#pragma once

#include <cstdint>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "runtime/runtime.h"

namespace openeci::controller {

class FakeRuntime final : public runtime::Runtime {
 public:
  // One PullImage call as the runtime received it.
  struct Pull {
    std::string image;
    std::optional<runtime::RegistryAuth> auth;
  };

  // How often the calls the controller's tests count were made.
  struct Calls {
    int pull_image = 0;
    int run_sandbox = 0;
    int stop_sandbox = 0;
    int remove_sandbox = 0;
    std::vector<std::string> removed_pod_cgroups;  // RemovePodCgroups' arguments, in order
    int create_container = 0;
    int start_container = 0;
    int stop_container = 0;
    int remove_container = 0;
    int exec = 0;        // Exec (interactive) calls
    int reopen_log = 0;  // ReopenContainerLog calls
    std::vector<int64_t> stop_timeouts;  // the timeout of every StopContainer call, in order
  };

  // `clock` must outlive the runtime.
  explicit FakeRuntime(const Clock& clock);

  // --- Test controls -----------------------------------------------------------------------
  // Makes `image` present (compared in normalized form, as containerd does).
  void AddImage(const std::string& image);
  // From now on every PullImage fails with `message` (the registry's explanation); an empty
  // message makes pulls succeed again.
  void FailPulls(std::string message);
  // From now on every PullImage takes `delay` of real time (for the pull progress watcher).
  void DelayPulls(std::chrono::milliseconds delay);
  std::vector<Pull> Pulls() const;
  Calls calls() const;
  // The running container `id` exits with `exit_code` now. kNotFound when unknown,
  // kFailedPrecondition when it is not running.
  Status ExitContainer(const std::string& id, int exit_code);
  // Exits with the kernel's OOM kill as containerd reports it: 137, reason OOMKilled.
  Status OomKillContainer(const std::string& id);
  // The containers labelled with `group_id` and container name `name`, by attempt.
  std::vector<runtime::ContainerInfo> ContainersNamed(const std::string& group_id,
                                                      const std::string& name) const;
  size_t SandboxCount() const;
  // What ExecSync answers from now on (a result or an error status).
  void SetExecResult(StatusOr<runtime::ExecSyncResult> result);
  // Every ExecSync call: container ID and command, in order.
  std::vector<std::pair<std::string, std::vector<std::string>>> Execs() const;
  // The stats ListSandboxStats reports for `container_id` (id, name and labels are filled in).
  void SetContainerStats(const std::string& container_id, const runtime::CpuStats& cpu,
                         const runtime::MemoryStats& memory);
  void SetSandboxInterfaces(const std::string& sandbox_id,
                            std::vector<runtime::InterfaceStats> interfaces);
  // The sandbox and its containers vanish without any call (a host reboot, an operator's
  // crictl rmp).
  void KillSandbox(const std::string& id);
  // Every config RunSandbox and CreateContainer received, in order.
  std::vector<runtime::SandboxConfig> SandboxConfigs() const;
  // The sandbox's hostname (RunSandbox's, or the last SetSandboxHostname's); "" when unknown.
  std::string HostnameOf(const std::string& sandbox_id) const;
  std::vector<runtime::ContainerConfig> ContainerConfigs() const;

  // --- runtime::Runtime --------------------------------------------------------------------
  StatusOr<std::string> Version() override;
  StatusOr<bool> ImageExists(const std::string& image) override;
  // Honours `cancel` during the delay of DelayPulls (the pull then fails as CriRuntime's does).
  Status PullImage(const std::string& image, const std::optional<runtime::RegistryAuth>& auth,
                   runtime::Cancellation* cancel) override;
  StatusOr<std::string> RunSandbox(const runtime::SandboxConfig& config) override;
  Status StopSandbox(const std::string& sandbox_id) override;
  Status SetSandboxHostname(const std::string& sandbox_id, const std::string& hostname) override;
  Status RemoveSandbox(const std::string& sandbox_id) override;
  // Recorded in Calls::removed_pod_cgroups (the fake has no cgroups).
  Status RemovePodCgroups(const std::string& cgroup_parent) override;
  StatusOr<runtime::SandboxInfo> InspectSandbox(const std::string& sandbox_id) override;
  StatusOr<std::vector<runtime::SandboxInfo>> ListSandboxes() override;
  StatusOr<std::string> CreateContainer(const std::string& sandbox_id,
                                        const runtime::ContainerConfig& config,
                                        const runtime::SandboxConfig& sandbox) override;
  Status StartContainer(const std::string& container_id) override;
  Status StopContainer(const std::string& container_id, int64_t timeout_seconds) override;
  Status RemoveContainer(const std::string& container_id) override;
  StatusOr<runtime::ContainerInfo> InspectContainer(const std::string& container_id) override;
  StatusOr<std::vector<runtime::ContainerInfo>> ListContainers(
      const std::string& sandbox_id) override;
  // Running containers only (kNotFound for unknown ones, kInternal when not running, as
  // containerd answers); the result is the one set with SetExecResult (default: exit 0, no
  // output) and the command is recorded (Execs).
  StatusOr<runtime::ExecSyncResult> ExecSync(const std::string& container_id,
                                             const std::vector<std::string>& command,
                                             int64_t timeout_seconds) override;
  // Running containers only; answers "http://127.0.0.1:0/exec/fake-N" (nothing listens).
  StatusOr<std::string> Exec(const std::string& container_id,
                             const std::vector<std::string>& command, bool tty,
                             bool stdin_open) override;
  // Ok for a running container (counted in Calls::reopen_log).
  Status ReopenContainerLog(const std::string& container_id) override;
  // Every ready sandbox with its running containers; each container's numbers come from
  // SetContainerStats (zero by default), the pod's are their sums; interfaces from
  // SetSandboxInterfaces (default: one "eth0" with zero counters). Timestamps are the clock's
  // now where the configured stats carry none.
  StatusOr<std::vector<runtime::SandboxStats>> ListSandboxStats() override;
  // Every present image, tagged with its normalised reference; sizes from SetImageSize
  // (default 1 MiB).
  StatusOr<std::vector<runtime::ImageInfo>> ListImages() override;
  Status RemoveImage(const std::string& image) override;
  void SetImageSize(const std::string& image, uint64_t bytes);

 private:
  struct Sandbox {
    runtime::SandboxInfo info;
    std::string reserved_name;  // name/uid/namespace/attempt
    std::string log_directory;
    std::string hostname;
  };

  int64_t NowNs() const;
  // The helpers below require mu_.
  // The container `id` when it exists and runs; kNotFound / kInternal otherwise.
  StatusOr<runtime::ContainerInfo*> RunningLocked(const std::string& id, const char* what);
  void ExitLocked(runtime::ContainerInfo& c, int exit_code);
  void EraseSandboxLocked(const std::string& id);

  const Clock& clock_;
  mutable std::mutex mu_;
  std::set<std::string> images_;                              // guarded by mu_
  std::map<std::string, uint64_t> image_sizes_;               // guarded by mu_
  std::string pull_error_;                                    // guarded by mu_
  std::vector<Pull> pulls_;                                   // guarded by mu_
  std::chrono::milliseconds pull_delay_{0};                   // guarded by mu_
  Calls calls_;                                               // guarded by mu_
  std::map<std::string, Sandbox> sandboxes_;                  // guarded by mu_
  std::map<std::string, runtime::ContainerInfo> containers_;  // guarded by mu_
  StatusOr<runtime::ExecSyncResult> exec_result_ = runtime::ExecSyncResult();  // mu_
  std::vector<std::pair<std::string, std::vector<std::string>>> execs_;      // guarded by mu_
  std::map<std::string, runtime::ContainerStats> container_stats_;           // guarded by mu_
  std::map<std::string, std::vector<runtime::InterfaceStats>> interfaces_;   // guarded by mu_
  std::vector<runtime::SandboxConfig> sandbox_configs_;                       // guarded by mu_
  std::vector<runtime::ContainerConfig> container_configs_;                   // guarded by mu_
  int next_id_ = 1;                                           // guarded by mu_
  int next_ip_ = 2;                                           // guarded by mu_
};

}  // namespace openeci::controller
