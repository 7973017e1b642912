#include "core/pod_security.h"

#include <arpa/inet.h>

#include <set>
#include <string_view>
#include <vector>

namespace openeci::core {
namespace {

constexpr size_t kMaxSysctlValueLength = 1024;

// Kubernetes' safe sysctls: namespaced and without effect on other pods.
constexpr std::string_view kSafeSysctls[] = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
};
// Namespaced groups (IPC and network namespaces): a name equal to one, or starting with one
// that ends in '.' or is followed by more of the name ("kernel.shm" covers kernel.shmmax).
constexpr std::string_view kNamespacedPrefixes[] = {"kernel.shm", "kernel.msg", "fs.mqueue.",
                                                    "net."};
constexpr std::string_view kNamespacedNames[] = {"kernel.sem"};

constexpr std::string_view kDnsPolicies[] = {"Default", "None", "ClusterFirst",
                                             "ClusterFirstWithHostNet"};

std::string Param(const std::string& prefix, size_t index, const std::string& field = "") {
  std::string p = prefix + "." + std::to_string(index + 1);
  return field.empty() ? p : p + "." + field;
}

Status Missing(const std::string& param) {
  return MissingParameter("The input parameter \"" + param +
                          "\" that is mandatory for processing this request is not supplied.");
}

Status Invalid(const std::string& param, const std::string& why, const std::string& got) {
  return InvalidParameter("The parameter \"" + param + "\" " + why + ", got \"" + got + "\".");
}

Status TooMany(const std::string& param, int max) {
  return InvalidParameterCode("InvalidParameter.LengthExceeded",
                              "The parameter \"" + param + "\" has more than " +
                                  std::to_string(max) + " items.");
}

bool IsSysctlName(const std::string& s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.') return false;
  char prev = '.';
  for (char c : s) {
    bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!word && c != '.') return false;
    if (c == '.' && prev == '.') return false;
    prev = c;
  }
  return true;
}

bool IsPrintable(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

Status ValidateSecurityContext(const SecurityContextSpec& sc, const std::string& p) {
  if (sc.run_as_user && (*sc.run_as_user < 0 || *sc.run_as_user > kMaxRunAsUser)) {
    return Invalid(p + "RunAsUser", "must be a user ID between 0 and 2147483647",
                   std::to_string(*sc.run_as_user));
  }
  for (size_t i = 0; i < sc.capabilities_add.size(); ++i) {
    if (sc.capabilities_add[i] != kAllowedCapability) {
      return Invalid(Param(p + "Capability.Add", i),
                     "must be NET_ADMIN, the only capability that can be added",
                     sc.capabilities_add[i]);
    }
  }
  return Status::Ok();
}

Status ValidateContainers(const std::vector<ContainerSpec>& containers, const std::string& list) {
  for (size_t i = 0; i < containers.size(); ++i) {
    RETURN_IF_ERROR(ValidateSecurityContext(containers[i].security_context,
                                            Param(list, i, "SecurityContext.")));
  }
  return Status::Ok();
}

Status ValidateSysctls(const std::vector<Sysctl>& sysctls) {
  std::set<std::string> seen;
  for (size_t i = 0; i < sysctls.size(); ++i) {
    const Sysctl& s = sysctls[i];
    std::string name_param = Param("SecurityContext.Sysctl", i, "Name");
    std::string value_param = Param("SecurityContext.Sysctl", i, "Value");
    if (s.name.empty()) return Missing(name_param);
    if (!IsSysctlName(s.name)) return Invalid(name_param, "is not a sysctl name", s.name);
    if (!IsNamespacedSysctl(s.name)) {
      return Invalid(name_param,
                     "must be a namespaced sysctl that cannot affect the machine's shared "
                     "kernel: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* or net.*",
                     s.name);
    }
    if (!seen.insert(s.name).second) return Invalid(name_param, "is given twice", s.name);
    if (s.value.empty()) return Missing(value_param);
    if (s.value.size() > kMaxSysctlValueLength || !IsPrintable(s.value)) {
      return Invalid(value_param, "must be at most 1024 printable characters", s.value);
    }
  }
  return Status::Ok();
}

Status ValidateDnsConfig(const DnsConfigSpec& dns) {
  if (dns.name_servers.size() > kMaxDnsNameServers) {
    return TooMany("DnsConfig.NameServer", kMaxDnsNameServers);
  }
  for (size_t i = 0; i < dns.name_servers.size(); ++i) {
    if (!IsIpAddress(dns.name_servers[i])) {
      return Invalid(Param("DnsConfig.NameServer", i), "must be an IPv4 or IPv6 address",
                     dns.name_servers[i]);
    }
  }
  if (dns.searches.size() > kMaxDnsSearches) return TooMany("DnsConfig.Search", kMaxDnsSearches);
  size_t chars = 0;
  for (size_t i = 0; i < dns.searches.size(); ++i) {
    std::string domain = dns.searches[i];
    if (!domain.empty() && domain.back() == '.') domain.pop_back();  // "example.com." is fine
    if (!IsDnsDomain(domain)) {
      return Invalid(Param("DnsConfig.Search", i), "must be a DNS domain", dns.searches[i]);
    }
    chars += dns.searches[i].size() + (i > 0 ? 1 : 0);
  }
  if (chars > kMaxDnsSearchChars) {
    return InvalidParameterCode("InvalidParameter.ValueExceeded",
                                "The parameter \"DnsConfig.Search\" has more than 256 "
                                "characters in all.");
  }
  for (size_t i = 0; i < dns.options.size(); ++i) {
    const DnsOption& o = dns.options[i];
    if (o.name.empty()) return Missing(Param("DnsConfig.Option", i, "Name"));
    bool bad_name = o.name.find_first_of(" \t:") != std::string::npos || !IsPrintable(o.name);
    if (bad_name || o.name.size() > 64) {
      return Invalid(Param("DnsConfig.Option", i, "Name"), "is not a resolver option name",
                     o.name);
    }
    if (o.value.find_first_of(" \t") != std::string::npos || !IsPrintable(o.value) ||
        o.value.size() > 64) {
      return Invalid(Param("DnsConfig.Option", i, "Value"), "is not a resolver option value",
                     o.value);
    }
  }
  return Status::Ok();
}

Status ValidateDns(const ContainerGroupSpec& spec) {
  if (!spec.dns_policy.empty()) {
    bool known = false;
    for (std::string_view p : kDnsPolicies) known = known || p == spec.dns_policy;
    if (!known) {
      return Invalid("DnsPolicy", "must be one of Default, None, ClusterFirst, "
                     "ClusterFirstWithHostNet", spec.dns_policy);
    }
  }
  if (spec.dns_policy == "None" && spec.dns_config.name_servers.empty()) {
    return MissingParameter("The input parameter \"DnsConfig.NameServer\" is mandatory when "
                            "\"DnsPolicy\" is None.");
  }
  return ValidateDnsConfig(spec.dns_config);
}

Status ValidateHostAliases(const std::vector<HostAlias>& aliases) {
  for (size_t i = 0; i < aliases.size(); ++i) {
    const HostAlias& a = aliases[i];
    if (a.ip.empty()) return Missing(Param("HostAliase", i, "Ip"));
    if (!IsIpAddress(a.ip)) {
      return Invalid(Param("HostAliase", i, "Ip"), "must be an IPv4 or IPv6 address", a.ip);
    }
    if (a.hostnames.empty()) return Missing(Param("HostAliase", i, "Hostname"));
    for (size_t j = 0; j < a.hostnames.size(); ++j) {
      if (!IsDnsDomain(a.hostnames[j])) {
        return Invalid(Param(Param("HostAliase", i, "Hostname"), j), "must be a host name",
                       a.hostnames[j]);
      }
    }
  }
  return Status::Ok();
}

Status ValidateNtpServers(const std::vector<std::string>& servers) {
  for (size_t i = 0; i < servers.size(); ++i) {
    if (!IsIpAddress(servers[i]) && !IsDnsDomain(servers[i])) {
      return Invalid(Param("NtpServer", i), "must be a host name or an IP address", servers[i]);
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsNamespacedSysctl(const std::string& name) {
  for (std::string_view s : kSafeSysctls) {
    if (name == s) return true;
  }
  for (std::string_view s : kNamespacedNames) {
    if (name == s) return true;
  }
  for (std::string_view prefix : kNamespacedPrefixes) {
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

bool IsIpAddress(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool IsDnsDomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('.', start);
    if (end == std::string::npos) end = s.size();
    std::string_view label(s.data() + start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

bool HasDnsConfig(const DnsConfigSpec& dns) {
  return !dns.name_servers.empty() || !dns.searches.empty() || !dns.options.empty();
}

Status ValidatePodSecurity(const ContainerGroupSpec& spec) {
  RETURN_IF_ERROR(ValidateContainers(spec.containers, "Container"));
  RETURN_IF_ERROR(ValidateContainers(spec.init_containers, "InitContainer"));
  RETURN_IF_ERROR(ValidateSysctls(spec.sysctls));
  RETURN_IF_ERROR(ValidateDns(spec));
  RETURN_IF_ERROR(ValidateHostAliases(spec.host_aliases));
  return ValidateNtpServers(spec.ntp_servers);
}

}  // namespace openeci::core
