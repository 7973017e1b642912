#include "controller/sandbox_pool.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/ids.h"

namespace openeci::controller {
namespace {

std::string LabelOf(const runtime::Labels& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

}  // namespace

std::string PoolKey(const std::string& vswitch_id, const std::string& security_group_id) {
  return vswitch_id + "/" + security_group_id;
}

bool IsPoolSandbox(const runtime::SandboxInfo& sandbox) {
  return sandbox.labels.count(kPoolUidLabel) > 0;
}

void UsePooledSandbox(const runtime::SandboxInfo& sandbox, const std::string& cgroup_root,
                      runtime::SandboxConfig& config) {
  if (IsPoolSandbox(sandbox)) {
    config.cgroup_parent = cgroup_root + "/" + LabelOf(sandbox.labels, kPoolUidLabel);
  }
}

SandboxPool::SandboxPool(store::Store& store, runtime::Runtime& runtime, const Clock& clock,
                         SandboxPoolOptions options)
    : store_(store), runtime_(runtime), clock_(clock), options_(std::move(options)) {}

SandboxPool::~SandboxPool() { Stop(); }

Status SandboxPool::Start() {
  RETURN_IF_ERROR(Adopt());
  if (options_.size > 0) thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void SandboxPool::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool SandboxPool::Fits(const runtime::SandboxConfig& config) {
  // Pool sandboxes are run with neither: containerd copies the machine's resolv.conf.
  return config.sysctls.empty() && config.dns_servers.empty() && config.dns_searches.empty() &&
         config.dns_options.empty();
}

size_t SandboxPool::WarmCount(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = warm_.find(key);
  return it == warm_.end() ? 0 : it->second.size();
}

std::set<std::string> SandboxPool::KeptKeysLocked() const {
  std::set<std::string> keys(options_.keys.begin(), options_.keys.end());
  const TimePoint now = clock_.Now();
  for (const auto& [key, asked] : last_asked_) {
    if (now - asked < options_.key_idle) keys.insert(key);
  }
  return keys;
}

StatusOr<std::optional<runtime::SandboxInfo>> SandboxPool::Claim(
    core::ContainerGroup& group, const runtime::SandboxConfig& config,
    const std::string& hostname) {
  if (options_.size <= 0 || !Fits(config)) return std::optional<runtime::SandboxInfo>();
  const std::string key = PoolKey(group.spec.vswitch_id, group.spec.security_group_id);
  Warm taken;
  {
    std::lock_guard lock(mu_);
    // Not woken here: the next round (refill_interval) refills, so that running a new
    // sandbox does not compete with this group's container start for the CPU.
    last_asked_[key] = clock_.Now();
    auto it = warm_.find(key);
    if (it == warm_.end() || it->second.empty()) return std::optional<runtime::SandboxInfo>();
    taken = std::move(it->second.front());
    it->second.pop_front();
    taken_[taken.info.id] = taken;
  }
  // The hostname first: a crash before the claim is written leaves an unclaimed sandbox, whose
  // placeholder hostname Adopt puts back.
  Status st = runtime_.SetSandboxHostname(taken.info.id, hostname);
  if (st.ok()) {
    core::ContainerGroup claimed = group;
    claimed.status.pool_sandbox_id = taken.info.id;
    StatusOr<int64_t> revision = store_.UpdateGroup(claimed, group.revision);
    if (revision.ok()) {
      group.status.pool_sandbox_id = taken.info.id;
      group.revision = *revision;
      std::lock_guard lock(mu_);
      taken_.erase(taken.info.id);
      return std::optional<runtime::SandboxInfo>(taken.info);
    }
    st = revision.status();
  }
  // Back into the pool with its own hostname, or gone when even that fails.
  Status reset = runtime_.SetSandboxHostname(taken.info.id, taken.uid);
  {
    std::lock_guard lock(mu_);
    taken_.erase(taken.info.id);
    if (reset.ok()) warm_[key].push_front(taken);
  }
  if (!reset.ok()) Remove(taken.info.id);
  return st;
}

StatusOr<SandboxPool::Warm> SandboxPool::RunOne(const std::string& key) {
  Warm w;
  w.uid = NewResourceId("pool", 12);
  runtime::SandboxConfig config;
  config.name = w.uid;
  config.uid = w.uid;
  config.hostname = w.uid;
  config.labels[kPoolKeyLabel] = key;
  config.labels[kPoolUidLabel] = w.uid;
  config.cgroup_parent = options_.cgroup_root + "/" + w.uid;
  ASSIGN_OR_RETURN(std::string id, runtime_.RunSandbox(config));
  StatusOr<runtime::SandboxInfo> info = runtime_.InspectSandbox(id);
  if (!info.ok() || info->state != runtime::SandboxState::kReady || info->ip.empty()) {
    Remove(id);
    return info.ok() ? InternalError("pool sandbox " + id + " is not ready") : info.status();
  }
  w.info = std::move(info).value();
  return w;
}

void SandboxPool::Remove(const std::string& sandbox_id) {
  Status st = runtime_.StopSandbox(sandbox_id);
  if (st.ok()) st = runtime_.RemoveSandbox(sandbox_id);
  if (!st.ok()) spdlog::warn("sandbox pool: removing {}: {}", sandbox_id, st.ToString());
}

Status SandboxPool::Adopt() {
  // The runtime first, the store second: a claim is written before containers are created, so
  // a sandbox seen with containers has its claim in the store by the time the store is read.
  ASSIGN_OR_RETURN(std::vector<runtime::SandboxInfo> sandboxes, runtime_.ListSandboxes());
  ASSIGN_OR_RETURN(std::vector<core::ContainerGroup> groups, store_.ListActiveGroups());
  std::set<std::string> claimed;
  for (const auto& g : groups) {
    if (!g.status.pool_sandbox_id.empty()) claimed.insert(g.status.pool_sandbox_id);
  }
  int kept = 0, removed = 0;
  for (const auto& sb : sandboxes) {
    if (!IsPoolSandbox(sb) || claimed.count(sb.id)) continue;
    const std::string key = LabelOf(sb.labels, kPoolKeyLabel);
    const std::string uid = LabelOf(sb.labels, kPoolUidLabel);
    bool usable = options_.size > 0 && sb.state == runtime::SandboxState::kReady &&
                  !sb.ip.empty() && !key.empty();
    if (usable) {
      StatusOr<std::vector<runtime::ContainerInfo>> containers = runtime_.ListContainers(sb.id);
      usable = containers.ok() && containers->empty() &&
               runtime_.SetSandboxHostname(sb.id, uid).ok();
    }
    if (!usable) {
      Remove(sb.id);
      ++removed;
      continue;
    }
    std::lock_guard lock(mu_);
    warm_[key].push_back({sb, uid});
    auto& asked = last_asked_[key];
    asked = std::max(asked, clock_.Now());
    ++kept;
  }
  if (kept + removed > 0) {
    spdlog::info("sandbox pool: {} warm sandbox(es) adopted, {} removed", kept, removed);
  }
  return Status::Ok();
}

Status SandboxPool::Refill() {
  std::vector<std::string> drop;
  std::map<std::string, int> missing;
  {
    std::lock_guard lock(mu_);
    const std::set<std::string> kept = KeptKeysLocked();
    for (auto& [key, list] : warm_) {
      size_t keep = kept.count(key) ? static_cast<size_t>(options_.size) : 0;
      while (list.size() > keep) {
        drop.push_back(list.back().info.id);
        list.pop_back();
      }
    }
    for (const std::string& key : kept) {
      auto it = warm_.find(key);
      int have = it == warm_.end() ? 0 : static_cast<int>(it->second.size());
      if (have < options_.size) missing[key] = options_.size - have;
    }
  }
  for (const std::string& id : drop) Remove(id);
  Status result = Status::Ok();
  for (const auto& [key, n] : missing) {
    for (int i = 0; i < n; ++i) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) return Status::Ok();
      }
      StatusOr<Warm> w = RunOne(key);
      if (!w.ok()) {
        result = w.status();
        break;
      }
      std::lock_guard lock(mu_);
      warm_[key].push_back(std::move(w).value());
    }
  }
  return result;
}

Status SandboxPool::CollectGarbage() {
  // Same order as Adopt. A sandbox this thread runs meanwhile cannot be missed: Refill and
  // CollectGarbage share the one background thread.
  ASSIGN_OR_RETURN(std::vector<runtime::SandboxInfo> sandboxes, runtime_.ListSandboxes());
  std::set<std::string> held;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, list] : warm_) {
      for (const Warm& w : list) held.insert(w.info.id);
    }
    for (const auto& [id, w] : taken_) held.insert(id);
  }
  ASSIGN_OR_RETURN(std::vector<core::ContainerGroup> groups, store_.ListActiveGroups());
  for (const auto& g : groups) {
    if (!g.status.pool_sandbox_id.empty()) held.insert(g.status.pool_sandbox_id);
  }
  {
    // Warm sandboxes the runtime no longer knows (removed behind OpenECI's back) are gone.
    std::set<std::string> listed;
    for (const auto& sb : sandboxes) listed.insert(sb.id);
    std::lock_guard lock(mu_);
    for (auto& [key, list] : warm_) {
      std::erase_if(list, [&](const Warm& w) { return listed.count(w.info.id) == 0; });
    }
  }
  for (const auto& sb : sandboxes) {
    if (!IsPoolSandbox(sb)) continue;
    bool stopped = sb.state != runtime::SandboxState::kReady;
    if (held.count(sb.id) && !stopped) continue;
    {
      // A warm sandbox that stopped (its pause process died) leaves the pool; a claimed one
      // is its group's business (the controller replaces it).
      std::lock_guard lock(mu_);
      bool warm = false;
      for (auto& [key, list] : warm_) {
        warm = warm || std::erase_if(list, [&](const Warm& w) { return w.info.id == sb.id; }) > 0;
      }
      if (held.count(sb.id) && !warm) continue;
    }
    spdlog::info("sandbox pool: removing sandbox {} nobody holds", sb.id);
    Remove(sb.id);
  }
  return Status::Ok();
}

void SandboxPool::Loop() {
  auto next_gc = std::chrono::steady_clock::now() + options_.gc_interval;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    if (Status st = Refill(); !st.ok()) spdlog::warn("sandbox pool: refill: {}", st.ToString());
    if (std::chrono::steady_clock::now() >= next_gc) {
      if (Status st = CollectGarbage(); !st.ok()) {
        spdlog::warn("sandbox pool: garbage collection: {}", st.ToString());
      }
      next_gc = std::chrono::steady_clock::now() + options_.gc_interval;
    }
    lock.lock();
    cv_.wait_for(lock, options_.refill_interval, [this] { return stopping_; });
  }
}

}  // namespace openeci::controller
