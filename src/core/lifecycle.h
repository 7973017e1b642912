// The container-group state machine: which phase transitions exist, and how a group's phase and
// each container's restart decision follow from what the runtime reports. Pure functions, no
// I/O, thread-safe.
//
//                 RestartContainerGroup
//        +-------------------------------------------+
//        v                                           |
//   +---------+  all containers started  +---------+ |   +------------+
//   | Pending | -----------------------> | Running | +-> | Restarting |
//   +---------+                          +---------+     +------------+
//     |  |  ^                             |  |              |   |
//     |  |  +-------- (restart done) -----|--|--------------+   |
//     |  |                                |  |                  |
//     |  +--> Succeeded <-----------------+  |  all containers terminated and none will be
//     +-----> Failed    <--------------------+  restarted (exit 0 everywhere: Succeeded)
//
//   UpdateContainerGroup with a change that needs new containers: Pending or Running ->
//   Updating, which then behaves as Restarting does (new sandbox with the new spec):
//
//   Pending / Running --update--> Updating --new sandbox--> Pending | Running
//                                     \--containers done at once--> Succeeded | Failed
//
// Succeeded and Failed are terminal: the controller releases the sandbox and never restarts it.
// Restarting returns to Pending (new sandbox being built) or straight to Running.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/model.h"

namespace openeci::core {

// True when the table above has the edge from -> to (a phase may always stay where it is).
bool IsAllowedTransition(GroupPhase from, GroupPhase to);
// Status kInternal naming both phases when the edge does not exist.
Status CheckTransition(GroupPhase from, GroupPhase to);
bool IsTerminal(GroupPhase phase);
std::string PhaseName(GroupPhase phase);

// Whether a container that exited with `exit_code` is started again under `policy`.
bool ShouldRestart(RestartPolicy policy, int exit_code);

// Kubelet-style back-off before the (restart_count+1)-th restart: base * 2^restart_count,
// capped at `max`.
std::chrono::milliseconds RestartBackoff(int restart_count, std::chrono::milliseconds base,
                                         std::chrono::milliseconds max);

// What the controller knows about one container of the group for phase derivation.
struct ContainerView {
  bool started_once = false;   // an attempt has reached Running (or finished) at least once
  bool running = false;
  bool terminated = false;     // the latest attempt has exited
  int exit_code = 0;
};

// The phase of a group whose sandbox is up, derived from its containers (Kubernetes pod
// phase semantics): Running once every container has started and something still runs or
// will be restarted; Succeeded / Failed once all are terminated for good.
GroupPhase DerivePhase(RestartPolicy policy, const std::vector<ContainerView>& containers);

}  // namespace openeci::core
