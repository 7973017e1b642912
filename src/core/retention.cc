#include "core/retention.h"

#include <algorithm>
#include <limits>
#include <map>

namespace openeci::core {
namespace {

// When a Failed group's record expires (its failure time, else its creation time, + retention).
Millis FailedExpiry(const ContainerGroup& g, const RetentionPolicy& policy) {
  Millis failed = g.status.failed_time != 0 ? g.status.failed_time : g.creation_time;
  return failed + policy.failed_retention_ms;
}

Millis SucceededAt(const ContainerGroup& g) {
  return g.status.succeeded_time != 0 ? g.status.succeeded_time : g.creation_time;
}

}  // namespace

std::vector<std::string> ExpiredGroupIds(const std::vector<ContainerGroup>& groups, Millis now,
                                         const RetentionPolicy& policy) {
  std::vector<std::string> expired;
  std::map<std::string, std::vector<const ContainerGroup*>> succeeded;  // by account
  for (const ContainerGroup& g : groups) {
    if (g.deleting) continue;
    if (g.status.phase == GroupPhase::Failed && FailedExpiry(g, policy) <= now) {
      expired.push_back(g.id);
    } else if (g.status.phase == GroupPhase::Succeeded) {
      succeeded[g.account_id].push_back(&g);
    }
  }
  for (auto& [account, list] : succeeded) {
    if (static_cast<int64_t>(list.size()) <= policy.succeeded_per_account) continue;
    // Newest first; ties broken by ID so that the choice is stable.
    std::sort(list.begin(), list.end(), [](const ContainerGroup* a, const ContainerGroup* b) {
      if (SucceededAt(*a) != SucceededAt(*b)) return SucceededAt(*a) > SucceededAt(*b);
      return a->id > b->id;
    });
    for (size_t i = static_cast<size_t>(std::max<int64_t>(0, policy.succeeded_per_account));
         i < list.size(); ++i) {
      expired.push_back(list[i]->id);
    }
  }
  return expired;
}

Millis NextExpiryTime(const std::vector<ContainerGroup>& groups, Millis now,
                      const RetentionPolicy& policy) {
  Millis next = std::numeric_limits<Millis>::max();
  for (const ContainerGroup& g : groups) {
    if (g.deleting || g.status.phase != GroupPhase::Failed) continue;
    const Millis expiry = FailedExpiry(g, policy);
    if (expiry > now) next = std::min(next, expiry);
  }
  return next;
}

}  // namespace openeci::core
