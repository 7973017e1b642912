// The controller hands a group's security and name-resolution settings to the runtime: the
// sandbox gets DNS (from the machine's resolv.conf and DnsConfig) and sysctls, every container
// its SecurityContext, Stdin/StdinOnce/Tty, podIP env and the group's /etc/hosts, which the
// controller writes under pod_root and removes with the group. Over the real SQLite store and
// the in-memory FakeRuntime.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/ids.h"
#include "controller/controller.h"
#include "controller/fake_runtime.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::controller {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

constexpr const char* kImage = "busybox:1.36";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class ControllerPodSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "controller_podsec_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto store = store::SqliteStore::Open(dir_ + "/openeci.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    std::ofstream(dir_ + "/resolv.conf") << "nameserver 10.255.255.53\nsearch corp.example\n";
    ControllerOptions options;
    options.log_root = dir_ + "/logs";
    options.pod_root = dir_ + "/pods";
    options.host_resolv_conf = dir_ + "/resolv.conf";
    controller_ = std::make_unique<Controller>(*store_, runtime_, clock_, options);
    runtime_.AddImage(kImage);
  }

  void TearDown() override {
    controller_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string CreateGroup(const core::ContainerGroupSpec& spec) {
    core::ContainerGroup g;
    g.id = NewResourceId("eci");
    g.account_id = "1234567890";
    g.spec = spec;
    std::string existing;
    EXPECT_TRUE(store_->CreateGroup(g, std::nullopt, &existing).ok());
    return g.id;
  }

  void Reconcile(const std::string& id) {
    StatusOr<std::chrono::milliseconds> next = controller_->Reconcile(id);
    EXPECT_TRUE(next.ok()) << next.status().ToString();
  }

  std::string dir_;
  FakeClock clock_{FromUnixMillis(1'700'000'000'000)};
  FakeRuntime runtime_{clock_};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<Controller> controller_;
};

core::ContainerGroupSpec Spec() {
  core::ContainerGroupSpec spec;
  spec.name = "web";
  spec.region_id = "cn-hangzhou";
  spec.restart_policy = core::RestartPolicy::Never;
  core::ContainerSpec c;
  c.name = "app";
  c.image = kImage;
  c.env = {{"POD_IP", "", "status.podIP"}};
  c.security_context.run_as_user = 1000;
  c.security_context.read_only_root_filesystem = true;
  c.security_context.capabilities_add = {"NET_ADMIN"};
  c.tty = true;
  c.stdin_open = true;
  spec.containers = {c};
  spec.dns_config.name_servers = {"192.0.2.53"};
  spec.dns_config.options = {{"ndots", "2"}};
  spec.sysctls = {{"kernel.msgmax", "65536"}};
  spec.host_aliases = {{"42.101.1.10", {"hehe.com"}}};
  return spec;
}

TEST_F(ControllerPodSettingsTest, SettingsReachTheRuntime) {
  std::string id = CreateGroup(Spec());
  Reconcile(id);
  std::vector<runtime::SandboxConfig> sandboxes = runtime_.SandboxConfigs();
  ASSERT_EQ(sandboxes.size(), 1u);
  EXPECT_EQ(sandboxes[0].hostname, "web");
  EXPECT_EQ(sandboxes[0].dns_servers, (Strings{"10.255.255.53", "192.0.2.53"}));
  EXPECT_EQ(sandboxes[0].dns_searches, (Strings{"corp.example"}));
  EXPECT_EQ(sandboxes[0].dns_options, (Strings{"ndots:2"}));
  EXPECT_EQ(sandboxes[0].sysctls.at("kernel.msgmax"), "65536");

  std::vector<runtime::ContainerConfig> containers = runtime_.ContainerConfigs();
  ASSERT_EQ(containers.size(), 1u);
  const runtime::ContainerConfig& cc = containers[0];
  std::string ip = store_->GetGroup(id)->status.intranet_ip;
  ASSERT_FALSE(ip.empty());
  EXPECT_EQ(cc.env, (std::vector<std::pair<std::string, std::string>>{{"POD_IP", ip}}));
  EXPECT_EQ(cc.run_as_user, 1000);
  EXPECT_TRUE(cc.read_only_root_filesystem);
  EXPECT_EQ(cc.add_capabilities, (Strings{"NET_ADMIN"}));
  EXPECT_TRUE(cc.tty && cc.stdin_open);
  ASSERT_EQ(cc.mounts.size(), 1u);
  EXPECT_EQ(cc.mounts[0].container_path, "/etc/hosts");
  EXPECT_EQ(cc.mounts[0].host_path, dir_ + "/pods/" + id + "/hosts");
  std::string hosts = ReadFile(cc.mounts[0].host_path);
  EXPECT_NE(hosts.find(ip + "\tweb\n"), std::string::npos) << hosts;
  EXPECT_NE(hosts.find("42.101.1.10\thehe.com\n"), std::string::npos) << hosts;
}

TEST_F(ControllerPodSettingsTest, LongNamesGiveA63CharacterHostname) {
  core::ContainerGroupSpec spec = Spec();
  spec.name = std::string(62, 'a') + "-" + std::string(10, 'b');  // cut after the hyphen
  Reconcile(CreateGroup(spec));
  ASSERT_EQ(runtime_.SandboxConfigs().size(), 1u);
  EXPECT_EQ(runtime_.SandboxConfigs()[0].hostname, std::string(62, 'a'));
}

TEST_F(ControllerPodSettingsTest, DeleteRemovesTheGroupsFiles) {
  std::string id = CreateGroup(Spec());
  Reconcile(id);
  ASSERT_TRUE(fs::exists(dir_ + "/pods/" + id + "/hosts"));
  core::ContainerGroup g = *store_->GetGroup(id);
  g.deleting = true;
  ASSERT_TRUE(store_->UpdateGroup(g, g.revision).ok());
  Reconcile(id);
  EXPECT_FALSE(fs::exists(dir_ + "/pods/" + id));
}

}  // namespace
}  // namespace openeci::controller
