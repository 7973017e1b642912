// The group-wide settings of a sandbox that follow from the spec: resolv.conf (DnsPolicy and
// DnsConfig), sysctls, and the group's /etc/hosts file (localhost lines, the pod's own IP and
// hostname, HostAliase entries; containerd's CRI has no host aliases, so OpenECI writes the
// file itself and every container bind-mounts it). Pure functions except WriteFileIfChanged;
// all thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "core/model.h"
#include "runtime/runtime.h"

namespace openeci::controller {

// The parts of a resolv.conf that CRI's DNSConfig carries.
struct ResolvConf {
  std::vector<std::string> servers;
  std::vector<std::string> searches;
  std::vector<std::string> options;  // "ndots:2", "rotate"
};

// Reads nameserver, search (and domain) and options lines; ignores comments and the rest.
ResolvConf ParseResolvConf(const std::string& text);

// Fills `sb`'s DNS fields as kubelet forms a pod's resolv.conf:
//   None                 only DnsConfig;
//   Default, ClusterFirst, ClusterFirstWithHostNet, or no policy
//                        the machine's resolv.conf (`host`) with DnsConfig appended: servers
//                        and searches without duplicates, options by name with DnsConfig's
//                        winning. There is no cluster DNS on an OpenECI node, so the
//                        ClusterFirst policies fall back to Default, as kubelet does without
//                        one.
// The result is cut to the resolver's limits (3 servers, 6 searches). Empty DNS fields mean
// "copy the machine's resolv.conf" to containerd, which is what Default without DnsConfig is.
void ApplyDnsSettings(const core::ContainerGroupSpec& spec, const ResolvConf& host,
                      runtime::SandboxConfig& sb);

// Copies SecurityContext.Sysctl.N into `sb` (applied to the sandbox's IPC and network
// namespaces, which all containers of the group share).
void ApplySysctls(const core::ContainerGroupSpec& spec, runtime::SandboxConfig& sb);

// The group's /etc/hosts: localhost lines, `pod_ip` with `hostname`, then the host aliases.
std::string HostsFileContent(const core::ContainerGroupSpec& spec, const std::string& hostname,
                             const std::string& pod_ip);

// Writes `content` to `path` (creating its directory) unless the file already holds exactly
// that. The file is rewritten in place, not replaced, so that bind mounts of it see the change.
Status WriteFileIfChanged(const std::string& path, const std::string& content);

}  // namespace openeci::controller
