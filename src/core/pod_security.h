// Rules for a group's security and name-resolution settings: container SecurityContext
// (RunAsUser, ReadOnlyRootFilesystem, Capability.Add), pod sysctls, DnsPolicy and DnsConfig,
// HostAliase and NtpServer. Pure functions, thread-safe. Each failure names the parameter by
// its wire name (e.g. "SecurityContext.Sysctl.2.Name") and carries the documented code.
#pragma once

#include <string>

#include "common/status.h"
#include "core/model.h"

namespace openeci::core {

// Limits of resolv.conf as Kubernetes validates a pod's dnsConfig (before 1.28) and as every C
// library honours them: at most 3 name servers, at most 6 search domains of at most 256
// characters in total.
inline constexpr int kMaxDnsNameServers = 3;
inline constexpr int kMaxDnsSearches = 6;
inline constexpr int kMaxDnsSearchChars = 256;
// The largest UID Kubernetes accepts for runAsUser.
inline constexpr int64_t kMaxRunAsUser = 2147483647;
// The only capability the API reference allows to add.
inline constexpr const char* kAllowedCapability = "NET_ADMIN";

// Whether `name` may be set as a pod sysctl: Kubernetes' safe sysctls and the namespaced
// groups ECI documents (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, net.*). Anything
// else (kernel.panic, vm.*, fs.file-max ...) would change the machine's shared kernel.
bool IsNamespacedSysctl(const std::string& name);

// Whether `s` is an IPv4 or IPv6 address.
bool IsIpAddress(const std::string& s);

// Whether `s` is a DNS name: dot-separated labels of letters, digits and hyphens (not at a
// label's ends), at most 63 characters each and 253 in all.
bool IsDnsDomain(const std::string& s);

// Whether `dns` configures anything (else the pod gets the machine's resolv.conf).
bool HasDnsConfig(const DnsConfigSpec& dns);

// Every rule of the settings above, for Container.N and InitContainer.N and the group.
Status ValidatePodSecurity(const ContainerGroupSpec& spec);

}  // namespace openeci::core
