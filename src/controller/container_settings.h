// The runtime settings of one container that follow from its spec and its group's sandbox:
// SecurityContext (RunAsUser, ReadOnlyRootFilesystem, Capability.Add), Stdin/StdinOnce/Tty,
// environment variables with FieldRef resolved, and the group's /etc/hosts. Shared by init
// containers and containers, so that both kinds run with the same settings. Pure functions,
// thread-safe.
#pragma once

#include <string>

#include "core/model.h"
#include "runtime/runtime.h"

namespace openeci::controller {

// What a container needs to know about its group's running sandbox.
struct PodContext {
  std::string ip;          // the sandbox's IP: FieldRef status.podIP
  std::string hosts_file;  // host path of the group's hosts file; empty: the image's /etc/hosts
  // Host path of the group's /etc/hostname; empty: the runtime's (a sandbox run for the group).
  std::string hostname_file;
};

inline constexpr const char* kPodIpFieldPath = "status.podIP";

// Sets `cc`'s env, security, stdin and TTY fields from `spec` and appends the /etc/hosts bind
// mount to cc.mounts (other mounts already there stay). Everything else of `cc` is untouched.
// Containers run with containerd's default capabilities plus the added ones, never privileged.
void ApplyContainerSettings(const core::ContainerSpec& spec, const PodContext& pod,
                            runtime::ContainerConfig& cc);

}  // namespace openeci::controller
