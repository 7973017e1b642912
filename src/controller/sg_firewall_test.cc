#include "controller/sg_firewall.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "controller/fake_runtime.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::controller {
namespace {

core::ContainerGroup Group(const std::string& id, const std::string& sg, const std::string& ip) {
  core::ContainerGroup g;
  g.id = id;
  g.spec.security_group_id = sg;
  g.status.intranet_ip = ip;
  return g;
}

runtime::SandboxInfo Sandbox(const std::string& ip, const std::string& group,
                             runtime::SandboxState state = runtime::SandboxState::kReady) {
  runtime::SandboxInfo sb;
  sb.id = "sb-" + ip;
  sb.ip = ip;
  sb.state = state;
  if (!group.empty()) sb.labels[runtime::kGroupIdLabel] = group;
  return sb;
}

TEST(DesiredSgMembers, GroupsCountWithTheIpALiveSandboxHolds) {
  SgMembers m = DesiredSgMembers(
      {Group("eci-a1", "sg-a", "10.0.0.2"), Group("eci-a2", "sg-a", "10.0.0.3"),
       Group("eci-b1", "sg-b", "10.0.0.4")},
      {Sandbox("10.0.0.2", "eci-a1"), Sandbox("10.0.0.3", "eci-a2"),
       Sandbox("10.0.0.4", "eci-b1")});
  EXPECT_EQ(m, (SgMembers{{"sg-a", {"10.0.0.2", "10.0.0.3"}}, {"sg-b", {"10.0.0.4"}}}));
}

TEST(DesiredSgMembers, AStaleIpWithoutALiveSandboxIsLeftOut) {
  SgMembers m = DesiredSgMembers(
      {Group("eci-a1", "sg-a", "10.0.0.2"), Group("eci-a2", "sg-a", "10.0.0.3"),
       Group("eci-a3", "sg-a", "")},
      {Sandbox("10.0.0.2", "eci-a1"), Sandbox("10.0.0.3", "eci-a2", runtime::SandboxState::kNotReady)});
  EXPECT_EQ(m, (SgMembers{{"sg-a", {"10.0.0.2"}}}));
}

TEST(DesiredSgMembers, APooledSandboxCountsForTheGroupThatRecordsItsIp) {
  // The sandbox was made for a pool (no group label, or another one): the group's own record
  // of the IP is what counts.
  SgMembers m = DesiredSgMembers({Group("eci-a1", "sg-a", "10.0.0.7")},
                                 {Sandbox("10.0.0.7", ""), Sandbox("10.0.0.8", "")});
  EXPECT_EQ(m, (SgMembers{{"sg-a", {"10.0.0.7"}}}));
}

TEST(DesiredSgMembers, AnIpTwoGroupsClaimGoesToTheLabelledOneOrToNeither) {
  std::vector<core::ContainerGroup> groups = {Group("eci-a1", "sg-a", "10.0.0.2"),
                                              Group("eci-b1", "sg-b", "10.0.0.2")};
  EXPECT_EQ(DesiredSgMembers(groups, {Sandbox("10.0.0.2", "eci-b1")}),
            (SgMembers{{"sg-b", {"10.0.0.2"}}}));
  EXPECT_TRUE(DesiredSgMembers(groups, {Sandbox("10.0.0.2", "pool")}).empty());
}

TEST(DesiredSgMembers, OnlyIpv4AddressesReachTheRules) {
  SgMembers m = DesiredSgMembers({Group("eci-a1", "sg-a", "10.0.0.2 }; drop")},
                                 {Sandbox("10.0.0.2 }; drop", "eci-a1")});
  EXPECT_TRUE(m.empty());
}

TEST(SgTableName, IsNamedAfterTheBridge) {
  EXPECT_EQ(SgTableName("openeci-it0"), "openeci_openeci_it0");
  EXPECT_EQ(SgTableName("br.0"), "openeci_br_0");
}

TEST(RenderSgRuleset, OneSetPerGroupThenDropBetweenPods) {
  std::string s = RenderSgRuleset(
      "oeci0", {{"sg-a", {"10.0.0.2", "10.0.0.3"}}, {"sg-b", {}}});
  EXPECT_EQ(s,
            "table inet openeci_oeci0 {}\n"
            "delete table inet openeci_oeci0\n"
            "table inet openeci_oeci0 {\n"
            "  set sg_0 {\n    type ipv4_addr\n    comment \"sg-a\"\n"
            "    elements = { 10.0.0.2, 10.0.0.3 }\n  }\n"
            "  set sg_1 {\n    type ipv4_addr\n    comment \"sg-b\"\n  }\n"
            "  chain forward {\n"
            "    type filter hook forward priority 0; policy accept;\n"
            "    iifname \"oeci0\" oifname \"oeci0\" jump pods\n"
            "  }\n"
            "  chain pods {\n"
            "    ip saddr @sg_0 ip daddr @sg_0 accept\n"
            "    ip saddr @sg_1 ip daddr @sg_1 accept\n"
            "    drop\n  }\n}\n");
}

TEST(RenderSgRuleset, NoGroupsStillCutsPodsOffFromEachOther) {
  std::string s = RenderSgRuleset("oeci0", {});
  EXPECT_NE(s.find("jump pods"), std::string::npos);
  EXPECT_NE(s.find("  chain pods {\n    drop\n  }"), std::string::npos);
}

TEST(RenderSgRemoval, DeletesOnlyItsOwnTableAndToleratesItsAbsence) {
  EXPECT_EQ(RenderSgRemoval("oeci0"),
            "table inet openeci_oeci0 {}\ndelete table inet openeci_oeci0\n");
}

// The firewall over the real SQLite store and the fake runtime, nft replaced by a recorder.
class SgFirewallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/sg_firewall_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    auto store = store::SqliteStore::Open(dir_ + "/openeci.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    std::ofstream(dir_ + "/bridge-nf-call-iptables") << "0\n";
    std::ofstream(dir_ + "/bridge-nf-call-ip6tables") << "1\n";
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  SgFirewallOptions Options() {
    SgFirewallOptions o;
    o.bridge = "oeci0";
    o.bridge_nf_dir = dir_;
    o.apply = [this](const std::string& script) {
      std::lock_guard lock(mu_);
      scripts_.push_back(script);
      return Status::Ok();
    };
    return o;
  }

  // A group in `sg` running in a new sandbox; returns its IP.
  std::string RunningGroup(const std::string& id, const std::string& sg) {
    runtime::SandboxConfig config;
    config.name = id;
    config.uid = id;
    config.labels[runtime::kGroupIdLabel] = id;
    StatusOr<std::string> sb = runtime_.RunSandbox(config);
    EXPECT_TRUE(sb.ok());
    std::string ip = runtime_.InspectSandbox(*sb)->ip;
    core::ContainerGroup g = Group(id, sg, ip);
    g.account_id = "acct";
    std::string existing;
    EXPECT_TRUE(store_->CreateGroup(g, std::nullopt, &existing).ok());
    sandboxes_[id] = *sb;
    return ip;
  }

  std::vector<std::string> Scripts() {
    std::lock_guard lock(mu_);
    return scripts_;
  }

  std::string dir_;
  SystemClock clock_;
  FakeRuntime runtime_{clock_};
  std::unique_ptr<store::SqliteStore> store_;
  std::map<std::string, std::string> sandboxes_;
  std::mutex mu_;
  std::vector<std::string> scripts_;
};

TEST_F(SgFirewallTest, StartAppliesTheRulesAndSwitchesBridgedTrafficIntoTheHook) {
  std::string a = RunningGroup("eci-a", "sg-a");
  std::string b = RunningGroup("eci-b", "sg-b");
  SgFirewall fw(*store_, runtime_, Options());
  ASSERT_TRUE(fw.Start().ok());
  ASSERT_EQ(Scripts().size(), 1u);
  EXPECT_EQ(Scripts()[0], RenderSgRuleset("oeci0", {{"sg-a", {a}}, {"sg-b", {b}}}));
  std::ifstream in(dir_ + "/bridge-nf-call-iptables");
  std::string value;
  in >> value;
  EXPECT_EQ(value, "1");
}

TEST_F(SgFirewallTest, UnchangedRulesAreNotAppliedAgainUnlessForced) {
  RunningGroup("eci-a", "sg-a");
  SgFirewall fw(*store_, runtime_, Options());
  ASSERT_TRUE(fw.SyncOnce(false).ok());
  ASSERT_TRUE(fw.SyncOnce(false).ok());
  EXPECT_EQ(Scripts().size(), 1u);
  ASSERT_TRUE(fw.SyncOnce(true).ok());
  EXPECT_EQ(Scripts().size(), 2u);
}

TEST_F(SgFirewallTest, AGoneSandboxTakesItsIpOutOfTheRules) {
  std::string a = RunningGroup("eci-a", "sg-a");
  std::string a2 = RunningGroup("eci-a2", "sg-a");
  SgFirewall fw(*store_, runtime_, Options());
  ASSERT_TRUE(fw.SyncOnce(false).ok());
  ASSERT_TRUE(runtime_.RemoveSandbox(sandboxes_["eci-a2"]).ok());
  ASSERT_TRUE(fw.SyncOnce(false).ok());
  EXPECT_EQ(Scripts().back(), RenderSgRuleset("oeci0", {{"sg-a", {a}}}));
}

TEST_F(SgFirewallTest, StopRemovesTheTableUnlessPodsAreKept) {
  RunningGroup("eci-a", "sg-a");
  {
    SgFirewall fw(*store_, runtime_, Options());
    ASSERT_TRUE(fw.Start().ok());
    fw.Stop();
    EXPECT_EQ(Scripts().back(), RenderSgRemoval("oeci0"));
  }
  SgFirewallOptions keep = Options();
  keep.remove_on_stop = false;
  SgFirewall fw(*store_, runtime_, keep);
  ASSERT_TRUE(fw.Start().ok());
  fw.Stop();
  EXPECT_NE(Scripts().back(), RenderSgRemoval("oeci0"));
}

TEST_F(SgFirewallTest, FollowsTheStoreOnItsThread) {
  SgFirewall fw(*store_, runtime_, Options());
  ASSERT_TRUE(fw.Start().ok());
  std::string a = RunningGroup("eci-a", "sg-a");
  std::string want = RenderSgRuleset("oeci0", {{"sg-a", {a}}});
  for (int i = 0; i < 500 && Scripts().back() != want; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Scripts().back(), want);
}

TEST_F(SgFirewallTest, WithoutBrNetfilterStartFailsLoudly) {
  std::filesystem::remove(dir_ + "/bridge-nf-call-iptables");
  SgFirewall fw(*store_, runtime_, Options());
  Status st = fw.Start();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("br_netfilter"), std::string::npos);
  EXPECT_TRUE(Scripts().empty());
}

}  // namespace
}  // namespace openeci::controller
