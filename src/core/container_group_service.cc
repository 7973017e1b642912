#include "core/container_group_service.h"

#include "common/ids.h"
#include "core/lifecycle.h"
#include "core/validation.h"

namespace openeci::core {
namespace {

Status GroupNotFound(const std::string& group_id) {
  return NotFoundError("InvalidParameter.NotFound",
                       "The specified ContainerGroupId \"" + group_id + "\" is not found.");
}

// Applies `mutate` to the stored group under compare-and-swap, retrying lost races. With a
// `token`, the write also remembers it (and a concurrent retry of the same request wins).
template <typename Mutate>
Status UpdateWithRetry(store::Store& store, ContainerGroup group, Mutate mutate,
                       const std::optional<store::ClientTokenRecord>& token = std::nullopt) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    Status st = mutate(group);
    if (!st.ok()) return st;
    bool replayed = false;
    StatusOr<int64_t> rev = token ? store.UpdateGroupWithToken(group, group.revision, *token,
                                                               &replayed)
                                  : store.UpdateGroup(group, group.revision);
    if (rev.ok()) return Status::Ok();
    if (rev.status().cls() != StatusClass::kAborted) return rev.status();
    StatusOr<ContainerGroup> fresh = store.GetGroup(group.id);
    if (!fresh.ok()) return fresh.status();
    group = std::move(fresh).value();
  }
  return AbortedError("The container group is being changed concurrently; try again.");
}

// The status of containers not created yet: Waiting for `reason`.
std::vector<ContainerStatus> WaitingStatuses(const std::vector<ContainerSpec>& specs,
                                             const std::string& reason) {
  std::vector<ContainerStatus> statuses;
  for (const ContainerSpec& c : specs) {
    ContainerStatus cs;
    cs.name = c.name;
    cs.current.state = "Waiting";
    cs.current.reason = reason;
    statuses.push_back(cs);
  }
  return statuses;
}

Status NotUpdatable(const std::string& group_id, GroupPhase phase) {
  return IncorrectStatus("The container group \"" + group_id + "\" is " + PhaseName(phase) +
                         "; only Pending or Running groups can be updated.");
}

}  // namespace

Status ContainerGroupService::Check(ContainerGroupSpec& spec) const {
  RETURN_IF_ERROR(ValidatePlacement(spec, topology_));
  FillDefaults(spec, topology_);
  return ValidateSpec(spec);
}

Status ContainerGroupService::Admit(const std::string& account_id,
                                    const ContainerGroupSpec& spec) {
  RETURN_IF_ERROR(CheckGpus(spec, admission_.capacity));
  ASSIGN_OR_RETURN(std::vector<ContainerGroup> groups, store_.ListActiveGroups());
  ResourceUse used = LiveUse(groups, account_id);
  RETURN_IF_ERROR(CheckQuota(used.groups, admission_.max_groups_per_account));
  return CheckCapacity(spec, used, admission_.capacity);
}

StatusOr<std::string> ContainerGroupService::Create(const std::string& account_id,
                                                    ContainerGroupSpec spec,
                                                    const std::string& client_token,
                                                    const std::string& fingerprint,
                                                    bool dry_run) {
  RETURN_IF_ERROR(ValidateClientToken(client_token));
  RETURN_IF_ERROR(Check(spec));
  std::optional<store::ClientTokenRecord> token;
  if (!client_token.empty()) {
    token = store::ClientTokenRecord{account_id, client_token, fingerprint, ""};
  }
  std::lock_guard lock(admission_mu_);
  if (token && !dry_run) {
    // A retry of a create that succeeded answers its ID, even if the node is full by now.
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, store_.FindClientToken(*token));
    if (earlier) return *earlier;
  }
  RETURN_IF_ERROR(Admit(account_id, spec));
  if (dry_run) {
    return Status(StatusClass::kInvalidArgument, "DryRunOperation",
                  "Request validation has been passed with DryRun flag set.");
  }
  ContainerGroup group;
  group.id = NewResourceId("eci");
  group.account_id = account_id;
  group.creation_time = ToUnixMillis(clock_.Now());
  group.spec = std::move(spec);
  group.status.phase = GroupPhase::Pending;
  group.status.containers = WaitingStatuses(group.spec.containers, "ContainerCreating");
  group.status.init_containers = WaitingStatuses(group.spec.init_containers, "PodInitializing");
  if (token) token->resource_id = group.id;
  std::string existing_id;
  StatusOr<int64_t> rev = store_.CreateGroup(group, token, &existing_id);
  if (!rev.ok()) return rev.status();
  return existing_id.empty() ? group.id : existing_id;
}

StatusOr<DescribePage> ContainerGroupService::Describe(store::GroupQuery query) {
  query.with_events = true;  // in the same read as the groups
  ASSIGN_OR_RETURN(store::GroupPage page, store_.ListGroups(query));
  DescribePage out;
  out.total_count = page.total_count;
  out.next_token = page.next_token;
  for (size_t i = 0; i < page.groups.size(); ++i) {
    out.groups.push_back({std::move(page.groups[i]), std::move(page.events[i])});
  }
  return out;
}

StatusOr<ContainerGroup> ContainerGroupService::Get(const std::string& account_id,
                                                    const std::string& group_id) {
  StatusOr<ContainerGroup> group = store_.GetGroup(group_id);
  if (!group.ok()) {
    if (group.status().cls() == StatusClass::kNotFound) return GroupNotFound(group_id);
    return group.status();
  }
  if (group->account_id != account_id || group->deleting) return GroupNotFound(group_id);
  return group;
}

Status ContainerGroupService::Delete(const std::string& account_id,
                                     const std::string& group_id) {
  ASSIGN_OR_RETURN(ContainerGroup group, Get(account_id, group_id));
  return UpdateWithRetry(store_, std::move(group), [](ContainerGroup& g) {
    g.deleting = true;
    return Status::Ok();
  });
}

Status ContainerGroupService::Restart(const std::string& account_id,
                                      const std::string& group_id,
                                      const std::string& client_token,
                                      const std::string& fingerprint) {
  return ChangeOnce(account_id, group_id, client_token, fingerprint, [&](ContainerGroup& g) {
    if (g.deleting) return GroupNotFound(group_id);
    GroupPhase phase = g.status.phase;
    if (phase != GroupPhase::Pending && phase != GroupPhase::Running) {
      return IncorrectStatus("The container group \"" + group_id + "\" is " + PhaseName(phase) +
                             "; only Pending or Running groups can be restarted.");
    }
    RETURN_IF_ERROR(CheckTransition(phase, GroupPhase::Restarting));
    g.restart_generation += 1;
    g.status.phase = GroupPhase::Restarting;
    return Status::Ok();
  });
}

Status ContainerGroupService::ChangeOnce(const std::string& account_id,
                                         const std::string& group_id,
                                         const std::string& client_token,
                                         const std::string& fingerprint,
                                         const std::function<Status(ContainerGroup&)>& change) {
  RETURN_IF_ERROR(ValidateClientToken(client_token));
  ASSIGN_OR_RETURN(ContainerGroup group, Get(account_id, group_id));
  std::optional<store::ClientTokenRecord> token;
  if (!client_token.empty()) {
    token = store::ClientTokenRecord{account_id, client_token, fingerprint, group_id};
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, store_.FindClientToken(*token));
    if (earlier.has_value()) {
      if (*earlier != group_id) {
        return Status(StatusClass::kInvalidArgument, "IdempotentParameterMismatch",
                      "The request uses the same client token as a previous, but non-identical "
                      "request.");
      }
      return Status::Ok();  // a retry: the first call's change stands
    }
  }
  return UpdateWithRetry(store_, std::move(group), change, token);
}

Status ContainerGroupService::Update(const std::string& account_id, const std::string& group_id,
                                     const GroupUpdate& update, const std::string& client_token,
                                     const std::string& fingerprint) {
  auto mutate = [&](ContainerGroup& g) -> Status {
    if (g.deleting) return GroupNotFound(group_id);
    GroupPhase phase = g.status.phase;
    if (phase != GroupPhase::Pending && phase != GroupPhase::Running) {
      return NotUpdatable(group_id, phase);
    }
    ASSIGN_OR_RETURN(ContainerGroupSpec next, ApplyUpdate(g.spec, update));
    RETURN_IF_ERROR(Check(next));
    if (SameSpec(next, g.spec)) {
      return Status(StatusClass::kInvalidArgument, "NoNeedUpdate",
                    "There are no changes to be updated for current resource.");
    }
    if (UpdateNeedsRestart(g.spec, next)) {
      RETURN_IF_ERROR(CheckTransition(phase, GroupPhase::Updating));
      g.restart_generation += 1;
      g.status.phase = GroupPhase::Updating;
    }
    g.spec = std::move(next);
    return Status::Ok();
  };
  return ChangeOnce(account_id, group_id, client_token, fingerprint, mutate);
}

}  // namespace openeci::core
