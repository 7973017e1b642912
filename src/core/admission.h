// Admission: whether this node can take a new container group — its capacity (vCPUs, memory,
// GPUs) against what the live groups already hold, and the account's quota of groups. Pure
// functions over values, thread-safe; ContainerGroupService runs them and the store insert
// under one lock so that two concurrent creates cannot both slip in over a limit.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/model.h"

namespace openeci::core {

// What the node offers to container groups, after reservation and overcommit
// (server/node_capacity.h computes it from the machine and the configuration).
// The defaults (unlimited vCPUs and memory) are for tests that are not about capacity.
struct NodeCapacity {
  double cpu = std::numeric_limits<double>::infinity();         // vCPUs
  double memory_gib = std::numeric_limits<double>::infinity();  // GiB
  int gpus = 0;  // OpenECI runs no GPU workloads: always 0 today
};

struct AdmissionPolicy {
  NodeCapacity capacity;
  // Live container groups an account may hold; 0 = no limit.
  int64_t max_groups_per_account = 0;
};

struct ResourceUse {
  double cpu = 0;
  double memory_gib = 0;
  int64_t groups = 0;
};

// Whether `group` holds node resources: not being deleted and not finished (Succeeded and
// Failed groups have released their sandbox).
bool HoldsResources(const ContainerGroup& group);

// The Cpu/Memory of the groups in `groups` that hold resources (`account_id` non-empty: only
// that account's are counted in `groups`, all in cpu and memory).
ResourceUse LiveUse(const std::vector<ContainerGroup>& groups, const std::string& account_id);

// OperationDenied.NoStock when any container asks for GPUs this node does not have.
Status CheckGpus(const ContainerGroupSpec& spec, const NodeCapacity& capacity);
// OperationDenied.NoStock when the group's Cpu/Memory does not fit next to `used`.
Status CheckCapacity(const ContainerGroupSpec& spec, const ResourceUse& used,
                     const NodeCapacity& capacity);
// QuotaExceeded when the account already holds `max` live groups (`max` 0: no limit).
Status CheckQuota(int64_t account_groups, int64_t max);

}  // namespace openeci::core
