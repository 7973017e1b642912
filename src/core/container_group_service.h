// ContainerGroupService: the API's view of container groups — create, describe, delete,
// restart — as desired-state changes in the store. It never talks to the runtime: the
// controller notices the change (store watch) and makes the runtime follow. Thread-safe:
// updates are compare-and-swap on the store; creates run admission (capacity, quota) and the
// insert under `admission_mu_`, so concurrent creates of this service cannot overshoot.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "core/admission.h"
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
  ContainerGroupService(store::Store& store, const Clock& clock, const Topology& topology,
                        AdmissionPolicy admission = {})
      : store_(store), clock_(clock), topology_(topology), admission_(admission) {}

  // Validates `spec`, fills its defaults, admits it (GPUs, node capacity: NoStock; the
  // account's quota: QuotaExceeded) and stores a new Pending group. With a non-empty
  // `client_token` the call is idempotent: the same token with the same `fingerprint` (a hash
  // of the request) answers the first group's ID. `dry_run`: all of that except the insert,
  // answering DryRunOperation when everything passed.
  StatusOr<std::string> Create(const std::string& account_id, ContainerGroupSpec spec,
                               const std::string& client_token, const std::string& fingerprint,
                               bool dry_run = false);
  // Validation and defaults of Create, without admission and without storing anything.
  Status Check(ContainerGroupSpec& spec) const;
  // Admission of a checked `spec` for `account_id` against the groups stored now.
  Status Admit(const std::string& account_id, const ContainerGroupSpec& spec);

  StatusOr<DescribePage> Describe(store::GroupQuery query);
  // Marks the group for deletion; it disappears from Describe at once.
  Status Delete(const std::string& account_id, const std::string& group_id);
  // Only from Pending or Running (IncorrectStatus otherwise); the group shows Restarting.
  // `client_token`: as for Update (a retry does not restart the group a second time).
  Status Restart(const std::string& account_id, const std::string& group_id,
                 const std::string& client_token = "", const std::string& fingerprint = "");
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
  // Applies `change` to the account's visible group under compare-and-swap. With a non-empty
  // `client_token` the change and the token are written together, and a later request with
  // the same token and `fingerprint` answers Ok without changing anything again (the same
  // token with another fingerprint: IdempotentParameterMismatch).
  Status ChangeOnce(const std::string& account_id, const std::string& group_id,
                    const std::string& client_token, const std::string& fingerprint,
                    const std::function<Status(ContainerGroup&)>& change);

  store::Store& store_;
  const Clock& clock_;
  const Topology& topology_;
  const AdmissionPolicy admission_;
  // Held from the admission check to the insert (see the class comment).
  std::mutex admission_mu_;
};

}  // namespace openeci::core
