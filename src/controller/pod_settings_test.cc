#include "controller/pod_settings.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "controller/container_settings.h"

namespace openeci::controller {
namespace {

using Strings = std::vector<std::string>;

const char kHostResolv[] =
    "# generated\n"
    "nameserver 10.255.255.53\n"
    "nameserver 10.255.255.54\n"
    "search corp.example lab.example\n"
    "options ndots:1 edns0\n";

TEST(PodSettings, ParsesResolvConf) {
  ResolvConf rc = ParseResolvConf(kHostResolv);
  EXPECT_EQ(rc.servers, (Strings{"10.255.255.53", "10.255.255.54"}));
  EXPECT_EQ(rc.searches, (Strings{"corp.example", "lab.example"}));
  EXPECT_EQ(rc.options, (Strings{"ndots:1", "edns0"}));
}

TEST(PodSettings, NoDnsConfigLeavesTheMachinesResolvConfToContainerd) {
  core::ContainerGroupSpec spec;
  for (const char* policy : {"", "Default", "ClusterFirst"}) {
    spec.dns_policy = policy;
    runtime::SandboxConfig sb;
    ApplyDnsSettings(spec, ParseResolvConf(kHostResolv), sb);
    EXPECT_TRUE(sb.dns_servers.empty() && sb.dns_searches.empty() && sb.dns_options.empty());
  }
}

TEST(PodSettings, DefaultPolicyAppendsDnsConfigToTheMachines) {
  core::ContainerGroupSpec spec;
  spec.dns_config.name_servers = {"10.255.255.54", "192.0.2.53", "192.0.2.54"};
  spec.dns_config.searches = {"svc.local"};
  spec.dns_config.options = {{"ndots", "5"}, {"rotate", ""}};
  runtime::SandboxConfig sb;
  ApplyDnsSettings(spec, ParseResolvConf(kHostResolv), sb);
  // Duplicates dropped, then cut to the resolver's three servers.
  EXPECT_EQ(sb.dns_servers, (Strings{"10.255.255.53", "10.255.255.54", "192.0.2.53"}));
  EXPECT_EQ(sb.dns_searches, (Strings{"corp.example", "lab.example", "svc.local"}));
  EXPECT_EQ(sb.dns_options, (Strings{"edns0", "ndots:5", "rotate"}));
}

TEST(PodSettings, NonePolicyUsesOnlyDnsConfig) {
  core::ContainerGroupSpec spec;
  spec.dns_policy = "None";
  spec.dns_config.name_servers = {"192.0.2.53"};
  spec.dns_config.options = {{"ndots", "2"}};
  runtime::SandboxConfig sb;
  ApplyDnsSettings(spec, ParseResolvConf(kHostResolv), sb);
  EXPECT_EQ(sb.dns_servers, (Strings{"192.0.2.53"}));
  EXPECT_TRUE(sb.dns_searches.empty());
  EXPECT_EQ(sb.dns_options, (Strings{"ndots:2"}));
}

TEST(PodSettings, SysctlsGoToTheSandbox) {
  core::ContainerGroupSpec spec;
  spec.sysctls = {{"kernel.msgmax", "65536"}, {"net.ipv4.ip_local_port_range", "2000 3000"}};
  runtime::SandboxConfig sb;
  ApplySysctls(spec, sb);
  EXPECT_EQ(sb.sysctls.size(), 2u);
  EXPECT_EQ(sb.sysctls["net.ipv4.ip_local_port_range"], "2000 3000");
}

TEST(PodSettings, HostsFileHasLocalhostThePodAndTheAliases) {
  core::ContainerGroupSpec spec;
  spec.host_aliases = {{"42.101.1.10", {"hehe.com", "haha.com"}}};
  std::string hosts = HostsFileContent(spec, "web", "10.77.0.5");
  EXPECT_NE(hosts.find("127.0.0.1\tlocalhost\n"), std::string::npos);
  EXPECT_NE(hosts.find("::1\tlocalhost ip6-localhost ip6-loopback\n"), std::string::npos);
  EXPECT_NE(hosts.find("10.77.0.5\tweb\n"), std::string::npos);
  EXPECT_NE(hosts.find("42.101.1.10\thehe.com\thaha.com\n"), std::string::npos);
  EXPECT_EQ(HostsFileContent({}, "web", "10.77.0.5").find("HostAliases"), std::string::npos);
}

TEST(PodSettings, WriteFileIfChangedRewritesInPlace) {
  char tmpl[] = "/tmp/pod_settings_test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/g/hosts";
  ASSERT_TRUE(WriteFileIfChanged(path, "one\n").ok());
  struct stat before {};
  ::stat(path.c_str(), &before);
  ASSERT_TRUE(WriteFileIfChanged(path, "two\n").ok());
  struct stat after {};
  ::stat(path.c_str(), &after);
  EXPECT_EQ(before.st_ino, after.st_ino);  // bind mounts of the file see the new content
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "two\n");
  std::filesystem::remove_all(tmpl);
}

TEST(ContainerSettings, SecurityStdinTtyEnvAndHostsMount) {
  core::ContainerSpec spec;
  spec.env = {{"A", "1", ""}, {"POD_IP", "", "status.podIP"}};
  spec.security_context.run_as_user = 1000;
  spec.security_context.read_only_root_filesystem = true;
  spec.security_context.capabilities_add = {"NET_ADMIN"};
  spec.stdin_open = true;
  spec.stdin_once = true;
  spec.tty = true;
  runtime::ContainerConfig cc;
  runtime::Mount volume;
  volume.container_path = "/data";
  cc.mounts.push_back(volume);  // e.g. a volume mount added before
  ApplyContainerSettings(spec, {"10.77.0.5", "/state/pods/eci-1/hosts"}, cc);
  using Env = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(cc.env, (Env{{"A", "1"}, {"POD_IP", "10.77.0.5"}}));
  EXPECT_EQ(cc.run_as_user, 1000);
  EXPECT_TRUE(cc.read_only_root_filesystem);
  EXPECT_EQ(cc.add_capabilities, (Strings{"NET_ADMIN"}));
  EXPECT_TRUE(cc.stdin_open && cc.stdin_once && cc.tty);
  ASSERT_EQ(cc.mounts.size(), 2u);
  EXPECT_EQ(cc.mounts[0].container_path, "/data");
  EXPECT_EQ(cc.mounts[1].host_path, "/state/pods/eci-1/hosts");
  EXPECT_EQ(cc.mounts[1].container_path, "/etc/hosts");
  EXPECT_FALSE(cc.mounts[1].read_only);
}

TEST(ContainerSettings, DefaultsRunAsTheImageUserWithoutExtras) {
  runtime::ContainerConfig cc;
  ApplyContainerSettings(core::ContainerSpec{}, {"10.77.0.5", ""}, cc);
  EXPECT_FALSE(cc.run_as_user.has_value());
  EXPECT_FALSE(cc.read_only_root_filesystem);
  EXPECT_TRUE(cc.add_capabilities.empty());
  EXPECT_FALSE(cc.stdin_open || cc.stdin_once || cc.tty);
  EXPECT_TRUE(cc.mounts.empty());
}

}  // namespace
}  // namespace openeci::controller
