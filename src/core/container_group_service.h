// ContainerGroupService: the API's view of container groups — create, describe, delete,
// restart — as desired-state changes in the store. It never talks to the runtime: the
// controller notices the change (store watch) and makes the runtime follow. Thread-safe
// (stateless apart from references; concurrency is resolved by the store's compare-and-swap).
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "core/group_update.h"
#include "core/model.h"
#include "core/topology.h"
#include "store/store.h"

namespace openeci::core {

struct GroupWithEvents {
  ContainerGroup group;
  std::vector<Event> events;
};

struct DescribePage {
  std::vector<GroupWithEvents> groups;
  int64_t total_count = 0;
  std::string next_token;
};

class ContainerGroupService {
 public:
  ContainerGroupService(store::Store& store, const Clock& clock, const Topology& topology)
      : store_(store), clock_(clock), topology_(topology) {}

  // Validates `spec`, fills its defaults and stores a new Pending group. With a non-empty
  // `client_token` the call is idempotent: the same token with the same `fingerprint` (a hash
  // of the request) answers the first group's ID. `dry_run` validates only.
  StatusOr<std::string> Create(const std::string& account_id, ContainerGroupSpec spec,
                               const std::string& client_token, const std::string& fingerprint);
  // Validation and defaults of Create, without storing anything.
  Status Check(ContainerGroupSpec& spec) const;

  StatusOr<DescribePage> Describe(const store::GroupQuery& query);
  // Marks the group for deletion; it disappears from Describe at once.
  Status Delete(const std::string& account_id, const std::string& group_id);
  // Only from Pending or Running (IncorrectStatus otherwise); the group shows Restarting.
  Status Restart(const std::string& account_id, const std::string& group_id);
  // UpdateContainerGroup. Only from Pending or Running (IncorrectStatus otherwise). The parts
  // `update` gives replace the stored ones (core/group_update.h); the result is validated as
  // Create validates; a result equal to the stored spec is NoNeedUpdate. Changes of tags, the
  // resource group and (no more) credentials are written as they are; any other change bumps
  // restart_generation and shows the group Updating until the controller has rebuilt it with
  // the new spec. `client_token`: as for Create (a retry answers what the first call did).
  Status Update(const std::string& account_id, const std::string& group_id,
                const GroupUpdate& update, const std::string& client_token,
                const std::string& fingerprint);
  // The account's visible (not deleting) group, or InvalidParameter.NotFound naming the ID —
  // the same answer for other accounts' IDs and for IDs that never existed.
  StatusOr<ContainerGroup> Get(const std::string& account_id, const std::string& group_id);

 private:
  store::Store& store_;
  const Clock& clock_;
  const Topology& topology_;
};

}  // namespace openeci::core
