#include "core/pod_security.h"

#include <gtest/gtest.h>

#include <functional>

#include "core/refusal_cases.h"
#include "core/validation.h"

namespace openeci::core {
namespace {

ContainerGroupSpec ValidSpec() {
  ContainerGroupSpec spec;
  spec.name = "web";
  spec.region_id = "cn-hangzhou";
  spec.cpu = 2;
  spec.memory_gib = 4;
  ContainerSpec c;
  c.name = "app";
  c.image = "busybox";
  spec.containers.push_back(c);
  return spec;
}

TEST(PodSecurity, AcceptsEverythingTheReferenceAllows) {
  ContainerGroupSpec spec = ValidSpec();
  SecurityContextSpec& sc = spec.containers[0].security_context;
  sc.run_as_user = 1000;
  sc.read_only_root_filesystem = true;
  sc.capabilities_add = {"NET_ADMIN"};
  spec.containers[0].stdin_open = spec.containers[0].stdin_once = spec.containers[0].tty = true;
  spec.sysctls = {{"kernel.shm_rmid_forced", "0"},       {"kernel.msgmax", "65536"},
                  {"kernel.sem", "250 32000 100 128"},   {"fs.mqueue.msg_max", "20"},
                  {"net.ipv4.ip_local_port_range", "1024 65000"},
                  {"net.core.somaxconn", "1024"}};
  spec.dns_policy = "None";
  spec.dns_config.name_servers = {"10.0.0.10", "fd00::53"};
  spec.dns_config.searches = {"svc.local.", "example.com"};
  spec.dns_config.options = {{"ndots", "2"}, {"rotate", ""}};
  spec.host_aliases = {{"42.101.1.10", {"hehe.com", "haha.com"}}, {"::1", {"v6-host"}}};
  spec.ntp_servers = {"ntp.cloud.aliyuncs.com", "192.0.2.1"};
  Status st = ValidatePodSecurity(spec);
  EXPECT_TRUE(st.ok()) << st.ToString();
  st = ValidateSpec(spec);
  EXPECT_TRUE(st.ok()) << st.ToString();
  for (const char* policy : {"Default", "ClusterFirst", "ClusterFirstWithHostNet", ""}) {
    spec.dns_policy = policy;
    EXPECT_TRUE(ValidatePodSecurity(spec).ok()) << policy;
  }
}

using Case = testing::RefusalCase;

TEST(PodSecurity, RefusesWithTheParameterNamed) {
  const Case cases[] = {
      {"capability other than NET_ADMIN",
       [](ContainerGroupSpec& s) {
         s.containers[0].security_context.capabilities_add = {"NET_ADMIN", "SYS_ADMIN"};
       },
       "InvalidParameter", "Container.1.SecurityContext.Capability.Add.2"},
      {"init container capability",
       [](ContainerGroupSpec& s) {
         s.init_containers = s.containers;
         s.init_containers[0].security_context.capabilities_add = {"net_admin"};
       },
       "InvalidParameter", "InitContainer.1.SecurityContext.Capability.Add.1"},
      {"negative uid",
       [](ContainerGroupSpec& s) { s.containers[0].security_context.run_as_user = -1; },
       "InvalidParameter", "Container.1.SecurityContext.RunAsUser"},
      {"uid too large",
       [](ContainerGroupSpec& s) { s.containers[0].security_context.run_as_user = 1LL << 31; },
       "InvalidParameter", "Container.1.SecurityContext.RunAsUser"},
      {"kernel.panic", [](ContainerGroupSpec& s) { s.sysctls = {{"kernel.panic", "1"}}; },
       "InvalidParameter", "SecurityContext.Sysctl.1.Name"},
      {"vm.*",
       [](ContainerGroupSpec& s) {
         s.sysctls = {{"net.ipv4.tcp_syncookies", "1"}, {"vm.min_free_kbytes", "1"}};
       },
       "InvalidParameter", "SecurityContext.Sysctl.2.Name"},
      {"unknown name", [](ContainerGroupSpec& s) { s.sysctls = {{"foo.bar", "1"}}; },
       "InvalidParameter", "SecurityContext.Sysctl.1.Name"},
      {"bare prefix", [](ContainerGroupSpec& s) { s.sysctls = {{"net.", "1"}}; },
       "InvalidParameter", "SecurityContext.Sysctl.1.Name"},
      {"path-like name", [](ContainerGroupSpec& s) { s.sysctls = {{"net/../vm", "1"}}; },
       "InvalidParameter", "SecurityContext.Sysctl.1.Name"},
      {"empty sysctl name", [](ContainerGroupSpec& s) { s.sysctls = {{"", "1"}}; },
       "MissingParameter", "SecurityContext.Sysctl.1.Name"},
      {"empty sysctl value", [](ContainerGroupSpec& s) { s.sysctls = {{"kernel.msgmax", ""}}; },
       "MissingParameter", "SecurityContext.Sysctl.1.Value"},
      {"newline in value",
       [](ContainerGroupSpec& s) { s.sysctls = {{"kernel.msgmax", "1\n2"}}; },
       "InvalidParameter", "SecurityContext.Sysctl.1.Value"},
      {"duplicate sysctl",
       [](ContainerGroupSpec& s) { s.sysctls = {{"kernel.msgmax", "1"}, {"kernel.msgmax", "2"}}; },
       "InvalidParameter", "SecurityContext.Sysctl.2.Name"},
      {"unknown dns policy", [](ContainerGroupSpec& s) { s.dns_policy = "uuid"; },
       "InvalidParameter", "DnsPolicy"},
      {"None without servers", [](ContainerGroupSpec& s) { s.dns_policy = "None"; },
       "MissingParameter", "DnsConfig.NameServer"},
      {"four name servers",
       [](ContainerGroupSpec& s) {
         s.dns_config.name_servers = {"1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"};
       },
       "InvalidParameter.LengthExceeded", "DnsConfig.NameServer"},
      {"name server not an IP",
       [](ContainerGroupSpec& s) { s.dns_config.name_servers = {"1.1.1.1", "dns.local"}; },
       "InvalidParameter", "DnsConfig.NameServer.2"},
      {"seven searches",
       [](ContainerGroupSpec& s) { s.dns_config.searches = {"a", "b", "c", "d", "e", "f", "g"}; },
       "InvalidParameter.LengthExceeded", "DnsConfig.Search"},
      {"search too long in all",
       [](ContainerGroupSpec& s) {
         std::string label(60, 'a');
         std::string domain = label + "." + label;  // 121 characters
         s.dns_config.searches = {domain, domain, domain};
       },
       "InvalidParameter.ValueExceeded", "DnsConfig.Search"},
      {"bad search domain",
       [](ContainerGroupSpec& s) { s.dns_config.searches = {"bad_domain"}; },
       "InvalidParameter", "DnsConfig.Search.1"},
      {"option without name",
       [](ContainerGroupSpec& s) { s.dns_config.options = {{"", "2"}}; }, "MissingParameter",
       "DnsConfig.Option.1.Name"},
      {"option with space",
       [](ContainerGroupSpec& s) { s.dns_config.options = {{"ndots", "2 3"}}; },
       "InvalidParameter", "DnsConfig.Option.1.Value"},
      {"alias without ip", [](ContainerGroupSpec& s) { s.host_aliases = {{"", {"a"}}}; },
       "MissingParameter", "HostAliase.1.Ip"},
      {"alias bad ip", [](ContainerGroupSpec& s) { s.host_aliases = {{"1.2.3", {"a"}}}; },
       "InvalidParameter", "HostAliase.1.Ip"},
      {"alias without hostname", [](ContainerGroupSpec& s) { s.host_aliases = {{"1.2.3.4", {}}}; },
       "MissingParameter", "HostAliase.1.Hostname"},
      {"alias bad hostname",
       [](ContainerGroupSpec& s) { s.host_aliases = {{"1.2.3.4", {"ok", "no spaces"}}}; },
       "InvalidParameter", "HostAliase.1.Hostname.2"},
      {"ntp server", [](ContainerGroupSpec& s) { s.ntp_servers = {"ntp.example.com", "a b"}; },
       "InvalidParameter", "NtpServer.2"},
  };
  testing::ExpectRefusals(ValidSpec(), cases, ValidatePodSecurity);
}

TEST(PodSecurity, NamespacedSysctls) {
  for (const char* ok : {"kernel.shm_rmid_forced", "kernel.shmmax", "kernel.msgmnb",
                         "kernel.sem", "fs.mqueue.queues_max", "net.ipv4.tcp_keepalive_time",
                         "net.ipv4.conf.all.forwarding", "net.ipv4.ping_group_range"}) {
    EXPECT_TRUE(IsNamespacedSysctl(ok)) << ok;
  }
  for (const char* no : {"kernel.panic", "kernel.hostname", "kernel.semx", "vm.swappiness",
                         "fs.file-max", "kernel.sem.", "net", "kernel"}) {
    EXPECT_FALSE(IsNamespacedSysctl(no)) << no;
  }
}

TEST(PodSecurity, AddressesAndDomains) {
  EXPECT_TRUE(IsIpAddress("10.0.0.1"));
  EXPECT_TRUE(IsIpAddress("fe80::1"));
  EXPECT_FALSE(IsIpAddress("10.0.0"));
  EXPECT_FALSE(IsIpAddress("example.com"));
  EXPECT_TRUE(IsDnsDomain("a"));
  EXPECT_TRUE(IsDnsDomain("My-Host.example.com"));
  EXPECT_FALSE(IsDnsDomain("-a.com"));
  EXPECT_FALSE(IsDnsDomain("a..com"));
  EXPECT_FALSE(IsDnsDomain("a.com."));
  EXPECT_FALSE(IsDnsDomain(std::string(64, 'a')));
  EXPECT_FALSE(IsDnsDomain(""));
}

}  // namespace
}  // namespace openeci::core
