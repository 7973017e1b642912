// SandboxPool: warm sandboxes (pause container running, network set up by CNI, IP assigned) per
// (VSwitch, security group), refilled in the background (every refill_interval), so that a create only has to create
// and start its containers (the idea behind ACI's standby pools).
//
// Which keys are kept warm: options.keys (the node's default VSwitch and security group) and
// every key a create asked for in the last options.key_idle; a key nobody asked for since loses
// its sandboxes. Each kept key holds options.size sandboxes.
//
// A pooled sandbox must look exactly like one run for the group, so only groups whose sandbox
// would have been run with pool settings get one (Fits: no sysctls, no DNS settings, i.e. the
// machine's resolv.conf). What differs per group is fixed up at claim time: the hostname of the
// UTS namespace (Runtime::SetSandboxHostname); /etc/hostname and /etc/hosts are OpenECI's own
// files bind-mounted into every container; HOSTNAME, the log directory and the cgroup parent
// come from the sandbox config passed with every CreateContainer (UsePooledSandbox).
//
// Crash safety: sandbox labels cannot change, so a pool sandbox keeps its pool labels for life
// and the claim (group -> sandbox) is the group's status.pool_sandbox_id, written with
// compare-and-swap before any container is created in it. At start-up (Adopt) every pool
// sandbox some group claims is left to the controller, which re-adopts it; the others become
// the pool again (hostname reset) or, when they hold containers or are not needed, are removed.
//
// Thread-safe: Claim from any controller worker; Start/Stop from one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "core/model.h"
#include "runtime/runtime.h"
#include "store/store.h"

namespace openeci::controller {

// On every pool sandbox: the key it was run for ("<vswitch>/<security group>") and its own
// name, which is also its placeholder hostname and its cgroup (<cgroup_root>/<uid>).
inline constexpr const char* kPoolKeyLabel = "openeci.pool-key";
inline constexpr const char* kPoolUidLabel = "openeci.pool-uid";

struct SandboxPoolOptions {
  int size = 0;                   // warm sandboxes per key; 0: no pool (leftovers are removed)
  std::vector<std::string> keys;  // always kept warm (PoolKey form)
  std::chrono::milliseconds key_idle{600000};   // a key seen in a create stays warm this long
  std::chrono::milliseconds refill_interval{250};
  std::chrono::milliseconds gc_interval{30000};  // removal of pool sandboxes nobody holds
  std::string cgroup_root = "/openeci";          // as ControllerOptions::cgroup_root
};

std::string PoolKey(const std::string& vswitch_id, const std::string& security_group_id);

// True for a sandbox the pool ran (claimed or not).
bool IsPoolSandbox(const runtime::SandboxInfo& sandbox);

// A group's containers in pooled `sandbox` are created with the sandbox's cgroup parent (so the
// pod's cgroup, its stats and its removal cover them); no-op for other sandboxes.
void UsePooledSandbox(const runtime::SandboxInfo& sandbox, const std::string& cgroup_root,
                      runtime::SandboxConfig& config);

class SandboxPool {
 public:
  // `store`, `runtime` and `clock` must outlive the pool.
  SandboxPool(store::Store& store, runtime::Runtime& runtime, const Clock& clock,
              SandboxPoolOptions options);
  ~SandboxPool();
  SandboxPool(const SandboxPool&) = delete;
  SandboxPool& operator=(const SandboxPool&) = delete;

  // Adopt, then (with size > 0) the refill thread. Call before the controller starts.
  Status Start();
  void Stop();

  // Whether a sandbox run with `config` (the group's) would be the same as a pool sandbox.
  static bool Fits(const runtime::SandboxConfig& config);

  // Gives `group` a warm sandbox of its key, if `config` fits and one is warm: sets its
  // hostname to `hostname`, then persists the claim (group.status.pool_sandbox_id, CAS on
  // group.revision, which is updated). nullopt: run a fresh sandbox. An error (e.g. the CAS
  // lost) leaves the sandbox in the pool and the group unchanged.
  StatusOr<std::optional<runtime::SandboxInfo>> Claim(core::ContainerGroup& group,
                                                      const runtime::SandboxConfig& config,
                                                      const std::string& hostname);

  // Rebuilds the pool from the runtime and the store (see the file comment). Exposed for tests.
  Status Adopt();
  // One background round: drops sandboxes of keys no longer kept and extras, runs missing
  // ones. Exposed for tests.
  Status Refill();
  // Removes pool sandboxes that are neither warm, being claimed, nor claimed by a stored group,
  // and warm ones that stopped. Exposed for tests.
  Status CollectGarbage();

  size_t WarmCount(const std::string& key) const;

 private:
  struct Warm {
    runtime::SandboxInfo info;
    std::string uid;
  };
  void Loop();
  StatusOr<Warm> RunOne(const std::string& key);
  void Remove(const std::string& sandbox_id);
  std::set<std::string> KeptKeysLocked() const;

  store::Store& store_;
  runtime::Runtime& runtime_;
  const Clock& clock_;
  const SandboxPoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::deque<Warm>> warm_;      // by key; guarded by mu_
  std::map<std::string, Warm> taken_;                 // claims in flight, by sandbox id; mu_
  std::map<std::string, TimePoint> last_asked_;       // by key; guarded by mu_
  bool stopping_ = false;                             // guarded by mu_
  std::thread thread_;
};

}  // namespace openeci::controller
