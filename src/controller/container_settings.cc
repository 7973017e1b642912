#include "controller/container_settings.h"

namespace openeci::controller {

void ApplyContainerSettings(const core::ContainerSpec& spec, const PodContext& pod,
                            runtime::ContainerConfig& cc) {
  cc.env.clear();
  for (const core::EnvVar& e : spec.env) {
    cc.env.emplace_back(e.key, e.field_path == kPodIpFieldPath ? pod.ip : e.value);
  }
  const core::SecurityContextSpec& sc = spec.security_context;
  cc.run_as_user = sc.run_as_user;
  cc.read_only_root_filesystem = sc.read_only_root_filesystem;
  cc.add_capabilities = sc.capabilities_add;
  cc.stdin_open = spec.stdin_open;
  cc.stdin_once = spec.stdin_once;
  cc.tty = spec.tty;
  if (!pod.hosts_file.empty()) {
    runtime::Mount hosts;
    hosts.host_path = pod.hosts_file;
    hosts.container_path = "/etc/hosts";
    cc.mounts.push_back(std::move(hosts));
  }
  if (!pod.hostname_file.empty()) {
    runtime::Mount hostname;
    hostname.host_path = pod.hostname_file;
    hostname.container_path = "/etc/hostname";
    hostname.read_only = sc.read_only_root_filesystem;  // as containerd mounts its own
    cc.mounts.push_back(std::move(hostname));
  }
}

}  // namespace openeci::controller
