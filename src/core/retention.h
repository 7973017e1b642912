// Retention of finished container groups, as the API reference describes for
// DescribeContainerGroups: a Failed group's record is kept for 24 hours; of the Succeeded
// ones, the latest 100 of each account are kept. Their containers and sandbox are released as
// soon as they finish (the controller does that); these rules decide when the record goes.
// Pure functions over values, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model.h"

namespace openeci::core {

struct RetentionPolicy {
  int64_t failed_retention_ms = 24LL * 3600 * 1000;  // Failed: kept this long after failing
  int64_t succeeded_per_account = 100;               // Succeeded: the latest N per account
};

// The IDs of the finished groups in `groups` (every group of every account) whose records are
// due for removal at `now`. Groups being deleted are left to deletion.
std::vector<std::string> ExpiredGroupIds(const std::vector<ContainerGroup>& groups, Millis now,
                                         const RetentionPolicy& policy);

// The earliest time after `now` at which ExpiredGroupIds could name a group that it does not name
// at `now` although no group changed: when the next kept Failed record expires (the Succeeded
// rule only changes with the groups). INT64_MAX when no Failed record is waiting.
Millis NextExpiryTime(const std::vector<ContainerGroup>& groups, Millis now,
                      const RetentionPolicy& policy);

}  // namespace openeci::core
