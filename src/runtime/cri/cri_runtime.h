// CriRuntime: the Runtime interface over containerd's CRI gRPC API (runtime.v1), runc only.
//
// Every call has a deadline (10 s; PullImage 10 min; StopContainer its timeout + 10 s; sandbox
// stop/remove 30 s because they tear down networking and every container; ExecSync its timeout
// + 5 s, or 10 min without one). gRPC errors become Status: UNAVAILABLE -> UnavailableError,
// NOT_FOUND -> kNotFound "InvalidParameter.NotFound", anything else -> InternalError carrying
// containerd's message (ExecSync's DEADLINE_EXCEEDED -> UnavailableError naming the timeout).
//
// ListSandboxStats uses CRI ListPodSandboxStats; where containerd gives no pod-level numbers (a
// sandbox without cgroup parent) or the list fails, it falls back to ListContainerStats and sums
// the containers. Page cache (MemoryStats::cache_bytes) is read from memory.stat of the cgroup
// directories under the sandbox's cgroup parent; usage_nano_cores, when containerd reports 0,
// is computed from this object's previous sample.
//
// Beyond CRI, RemoveSandbox and RemoveContainer clean what CRI leaves behind: the cgroup
// directories under the sandbox's cgroup_parent (in every mounted hierarchy) and the CNI result
// cache. The cgroup parent is remembered in memory and also stored on the sandbox as the label
// kCgroupParentLabel, so it is recovered after an OpenECI restart; that label is not reported
// back in SandboxInfo::labels.
//
// Thread-safe: gRPC stubs are, and the only other state is guarded by a mutex.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "runtime/runtime.h"

namespace openeci::runtime {

inline constexpr const char* kCgroupParentLabel = "openeci.cgroup-parent";

class CriRuntime final : public Runtime {
 public:
  // A client of the containerd listening on `socket_path` (a path, or "unix://path"). Does not
  // talk to containerd yet; call CheckReady() or any method.
  static StatusOr<std::unique_ptr<CriRuntime>> Connect(const std::string& socket_path);
  ~CriRuntime() override;

  // Version and Status: ok when the CRI plugin answers and reports RuntimeReady and
  // NetworkReady. When containerd answers without its CRI plugin (gRPC UNIMPLEMENTED) the
  // message says so explicitly.
  Status CheckReady();

  // Runtime
  StatusOr<std::string> Version() override;
  StatusOr<bool> ImageExists(const std::string& image) override;
  Status PullImage(const std::string& image, const std::optional<RegistryAuth>& auth,
                   Cancellation* cancel) override;
  StatusOr<std::string> RunSandbox(const SandboxConfig& config) override;
  Status StopSandbox(const std::string& sandbox_id) override;
  // sethostname(2) in the pause process' UTS namespace, from a forked child (setns there
  // leaves every thread of this process where it was, even when something fails).
  Status SetSandboxHostname(const std::string& sandbox_id, const std::string& hostname) override;
  Status RemoveSandbox(const std::string& sandbox_id) override;
  Status RemovePodCgroups(const std::string& cgroup_parent) override;
  StatusOr<SandboxInfo> InspectSandbox(const std::string& sandbox_id) override;
  StatusOr<std::vector<SandboxInfo>> ListSandboxes() override;
  StatusOr<std::vector<SandboxInfo>> ListSandboxesWithLabels(const Labels& selector) override;
  StatusOr<std::string> CreateContainer(const std::string& sandbox_id,
                                        const ContainerConfig& config,
                                        const SandboxConfig& sandbox) override;
  Status StartContainer(const std::string& container_id) override;
  Status StopContainer(const std::string& container_id, int64_t timeout_seconds) override;
  Status RemoveContainer(const std::string& container_id) override;
  StatusOr<ContainerInfo> InspectContainer(const std::string& container_id) override;
  StatusOr<std::vector<ContainerInfo>> ListContainers(const std::string& sandbox_id) override;
  StatusOr<ExecSyncResult> ExecSync(const std::string& container_id,
                                    const std::vector<std::string>& command,
                                    int64_t timeout_seconds) override;
  StatusOr<std::string> Exec(const std::string& container_id,
                             const std::vector<std::string>& command, bool tty,
                             bool stdin_open) override;
  Status ReopenContainerLog(const std::string& container_id) override;
  StatusOr<std::vector<SandboxStats>> ListSandboxStats() override;
  StatusOr<std::vector<ImageInfo>> ListImages() override;
  Status RemoveImage(const std::string& image) override;

 private:
  struct Stubs;  // generated gRPC stubs, kept out of this header
  explicit CriRuntime(std::unique_ptr<Stubs> stubs);

  // The sandbox's cgroup parent: remembered, or read back from its label; "" when unknown.
  std::string CgroupParentOf(const std::string& sandbox_id);
  StatusOr<std::string> SandboxOfContainer(const std::string& container_id);
  // ListContainerStats of one sandbox.
  StatusOr<std::vector<ContainerStats>> ContainerStatsOf(const std::string& sandbox_id);
  // When the runtime reports no usage_nano_cores (containerd does on the first sample, and not
  // at all for some objects), computes it from this object's previous sample; then remembers
  // `cpu` as the latest sample of `id`.
  void FillCpuRate(const std::string& id, CpuStats& cpu);
  // PID of the sandbox's pause process (from verbose PodSandboxStatus, then remembered); 0 when
  // unknown.
  int SandboxPidOf(const std::string& sandbox_id);
  // Replaces pod.interfaces with all counters read from the pod's network namespace
  // (/proc/<pause pid>/net/dev); keeps CRI's numbers when that cannot be read.
  void FillInterfacesFromNetNs(SandboxStats& pod);

  std::unique_ptr<Stubs> stubs_;
  std::mutex mu_;
  std::map<std::string, std::string> cgroup_parents_;  // sandbox id -> cgroup parent; mu_
  std::map<std::string, CpuStats> cpu_samples_;  // sandbox/container id -> last sample; mu_
  std::map<std::string, int> sandbox_pids_;      // sandbox id -> pause process PID; mu_
};

}  // namespace openeci::runtime
