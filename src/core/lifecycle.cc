#include "core/lifecycle.h"

#include <algorithm>
#include <array>
#include <boost/describe/enum_to_string.hpp>
#include <utility>

namespace openeci::core {
namespace {

using P = GroupPhase;

// The edges of the diagram in lifecycle.h. Anything else is a bug in the caller.
constexpr std::array<std::pair<P, P>, 18> kTransitions = {{
    {P::Pending, P::Running},
    {P::Pending, P::Succeeded},
    {P::Pending, P::Failed},
    {P::Pending, P::Restarting},
    {P::Running, P::Pending},  // the sandbox vanished under us (e.g. host reboot): rebuild
    {P::Running, P::Succeeded},
    {P::Running, P::Failed},
    {P::Running, P::Restarting},
    {P::Restarting, P::Pending},
    {P::Restarting, P::Running},
    {P::Restarting, P::Succeeded},
    {P::Restarting, P::Failed},
    {P::Pending, P::Updating},  // UpdateContainerGroup with a change that needs new containers
    {P::Running, P::Updating},
    {P::Updating, P::Pending},
    {P::Updating, P::Running},
    {P::Updating, P::Succeeded},
    {P::Updating, P::Failed},
}};

}  // namespace

bool IsAllowedTransition(GroupPhase from, GroupPhase to) {
  if (from == to) return true;
  return std::find(kTransitions.begin(), kTransitions.end(), std::make_pair(from, to)) !=
         kTransitions.end();
}

Status CheckTransition(GroupPhase from, GroupPhase to) {
  if (IsAllowedTransition(from, to)) return Status::Ok();
  return InternalError("illegal container group transition " + PhaseName(from) + " -> " +
                       PhaseName(to));
}

bool IsTerminal(GroupPhase phase) {
  return phase == GroupPhase::Succeeded || phase == GroupPhase::Failed ||
         phase == GroupPhase::Expired || phase == GroupPhase::ScheduleFailed;
}

std::string PhaseName(GroupPhase phase) {
  const char* name = boost::describe::enum_to_string(phase, nullptr);
  return name ? name : "Unknown";
}

bool ShouldRestart(RestartPolicy policy, int exit_code) {
  switch (policy) {
    case RestartPolicy::Always:
      return true;
    case RestartPolicy::OnFailure:
      return exit_code != 0;
    case RestartPolicy::Never:
      return false;
  }
  return false;
}

std::chrono::milliseconds RestartBackoff(int restart_count, std::chrono::milliseconds base,
                                         std::chrono::milliseconds max) {
  auto delay = base;
  for (int i = 0; i < restart_count && delay < max; ++i) delay *= 2;
  return std::min(delay, max);
}

GroupPhase DerivePhase(RestartPolicy policy, const std::vector<ContainerView>& containers) {
  bool all_started = true;
  bool all_done = true;  // terminated and will not be restarted
  bool any_failed = false;
  for (const ContainerView& c : containers) {
    if (!c.started_once) all_started = false;
    bool done = c.terminated && !ShouldRestart(policy, c.exit_code);
    if (!done) all_done = false;
    if (c.terminated && c.exit_code != 0) any_failed = true;
  }
  if (containers.empty()) return GroupPhase::Pending;
  if (all_done) return any_failed ? GroupPhase::Failed : GroupPhase::Succeeded;
  return all_started ? GroupPhase::Running : GroupPhase::Pending;
}

}  // namespace openeci::core
