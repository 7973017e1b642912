// Unit tests of the warm sandbox pool with the controller over the real SQLite store, the
// in-memory FakeRuntime and a FakeClock: refill, claim (hostname, hosts/hostname files, the
// claim persisted before containers), fallback to a fresh sandbox when the group does not fit,
// re-adoption after a restart, deletion, and garbage collection. Passes and refill rounds are
// driven by hand (no threads).
#include "controller/sandbox_pool.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/ids.h"
#include "controller/controller.h"
#include "controller/fake_runtime.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::controller {
namespace {

namespace fs = std::filesystem;
using core::ContainerGroup;
using core::GroupPhase;
using runtime::SandboxInfo;
using std::chrono::milliseconds;

constexpr const char* kBusybox = "busybox:1.36";
const std::string kDefaultKey = PoolKey("vsw-default", "sg-default");

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class SandboxPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "sandbox_pool_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto store = store::SqliteStore::Open(dir_ + "/openeci.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    runtime_.AddImage(kBusybox);
    Restart();
  }

  void TearDown() override {
    controller_.reset();
    pool_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A new pool (adopting what the runtime holds) and controller, as OpenECI builds them.
  void Restart(int size = 2) {
    controller_.reset();
    pool_.reset();
    SandboxPoolOptions po;
    po.size = size;
    po.keys = {kDefaultKey};
    po.cgroup_root = "/openeci";
    pool_ = std::make_unique<SandboxPool>(*store_, runtime_, clock_, po);
    Status st = pool_->Adopt();
    ASSERT_TRUE(st.ok()) << st.ToString();
    ControllerOptions co;
    co.log_root = dir_ + "/logs";
    co.pod_root = dir_ + "/pods";
    co.pool = pool_.get();
    controller_ = std::make_unique<Controller>(*store_, runtime_, clock_, co);
  }

  void Refill() {
    Status st = pool_->Refill();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  std::string CreateGroup(const std::function<void(core::ContainerGroupSpec&)>& tweak = {}) {
    ContainerGroup g;
    g.id = NewResourceId("eci");
    g.account_id = "1234567890";
    g.creation_time = ToUnixMillis(clock_.Now());
    g.spec.name = "web-1";
    g.spec.vswitch_id = "vsw-default";
    g.spec.security_group_id = "sg-default";
    core::ContainerSpec c;
    c.name = "app";
    c.image = kBusybox;
    c.command = {"sleep", "3600"};
    g.spec.containers = {c};
    if (tweak) tweak(g.spec);
    std::string existing;
    EXPECT_TRUE(store_->CreateGroup(g, std::nullopt, &existing).ok());
    return g.id;
  }

  void Reconcile(const std::string& id) {
    StatusOr<milliseconds> next = controller_->Reconcile(id);
    EXPECT_TRUE(next.ok()) << next.status().ToString();
  }

  ContainerGroup Group(const std::string& id) {
    StatusOr<ContainerGroup> g = store_->GetGroup(id);
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return g.ok() ? *g : ContainerGroup();
  }

  std::vector<SandboxInfo> PoolSandboxes() {
    std::vector<SandboxInfo> out;
    StatusOr<std::vector<SandboxInfo>> all = runtime_.ListSandboxes();
    EXPECT_TRUE(all.ok());
    for (const SandboxInfo& sb : *all) {
      if (IsPoolSandbox(sb)) out.push_back(sb);
    }
    return out;
  }

  std::string dir_;
  FakeClock clock_{FromUnixMillis(1'700'000'000'000)};
  FakeRuntime runtime_{clock_};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<SandboxPool> pool_;
  std::unique_ptr<Controller> controller_;
};

TEST_F(SandboxPoolTest, RefillRunsWarmSandboxesForTheDefaultKey) {
  Refill();
  EXPECT_EQ(pool_->WarmCount(kDefaultKey), 2u);
  std::vector<SandboxInfo> pool = PoolSandboxes();
  ASSERT_EQ(pool.size(), 2u);
  for (const SandboxInfo& sb : pool) {
    EXPECT_EQ(sb.labels.at(kPoolKeyLabel), kDefaultKey);
    EXPECT_EQ(sb.labels.count(runtime::kGroupIdLabel), 0u) << "pool sandboxes belong to no group";
    EXPECT_EQ(runtime_.HostnameOf(sb.id), sb.labels.at(kPoolUidLabel));
  }
  Refill();  // full: nothing more
  EXPECT_EQ(runtime_.calls().run_sandbox, 2);
}

TEST_F(SandboxPoolTest, GroupClaimsAWarmSandboxWithItsOwnHostnameAndFiles) {
  Refill();
  const int runs = runtime_.calls().run_sandbox;
  std::string id = CreateGroup([](core::ContainerGroupSpec& s) {
    s.host_aliases = {{"10.1.2.3", {"db.local"}}};  // OpenECI's hosts file: fits the pool
  });
  Reconcile(id);

  ContainerGroup g = Group(id);
  EXPECT_EQ(g.status.phase, GroupPhase::Running);
  EXPECT_EQ(runtime_.calls().run_sandbox, runs) << "no sandbox run on the create path";
  ASSERT_FALSE(g.status.pool_sandbox_id.empty());
  auto sb = runtime_.InspectSandbox(g.status.pool_sandbox_id);
  ASSERT_TRUE(sb.ok());
  EXPECT_EQ(g.status.intranet_ip, sb->ip);
  EXPECT_EQ(runtime_.HostnameOf(sb->id), "web-1");
  EXPECT_EQ(pool_->WarmCount(kDefaultKey), 1u);

  std::vector<runtime::ContainerConfig> cc = runtime_.ContainerConfigs();
  ASSERT_EQ(cc.size(), 1u);
  EXPECT_EQ(cc[0].labels.at(runtime::kGroupIdLabel), id);
  std::map<std::string, std::string> mounts;
  for (const runtime::Mount& m : cc[0].mounts) mounts[m.container_path] = m.host_path;
  EXPECT_EQ(ReadFile(mounts["/etc/hostname"]), "web-1\n");
  EXPECT_NE(ReadFile(mounts["/etc/hosts"]).find(sb->ip + "\tweb-1\n"), std::string::npos);
  EXPECT_NE(ReadFile(mounts["/etc/hosts"]).find("10.1.2.3\tdb.local"), std::string::npos);

  Refill();
  EXPECT_EQ(pool_->WarmCount(kDefaultKey), 2u) << "the pool refills";
  Reconcile(id);  // a later pass keeps the claimed sandbox
  EXPECT_EQ(Group(id).status.pool_sandbox_id, sb->id);
  EXPECT_EQ(runtime_.ContainerConfigs().size(), 1u);
}

TEST_F(SandboxPoolTest, ContainersOfAPooledSandboxUseItsCgroup) {
  Refill();
  SandboxInfo sb = PoolSandboxes().front();
  runtime::SandboxConfig config;
  config.cgroup_parent = "/openeci/eci-1";
  UsePooledSandbox(sb, "/openeci", config);
  EXPECT_EQ(config.cgroup_parent, "/openeci/" + sb.labels.at(kPoolUidLabel));
  SandboxInfo own;
  runtime::SandboxConfig unchanged;
  unchanged.cgroup_parent = "/openeci/eci-1";
  UsePooledSandbox(own, "/openeci", unchanged);
  EXPECT_EQ(unchanged.cgroup_parent, "/openeci/eci-1");
}

TEST_F(SandboxPoolTest, GroupsThatDoNotFitGetAFreshSandbox) {
  Refill();
  std::string sysctl = CreateGroup([](core::ContainerGroupSpec& s) {
    s.sysctls = {{"kernel.msgmax", "65536"}};
  });
  std::string dns = CreateGroup([](core::ContainerGroupSpec& s) {
    s.dns_policy = "None";
    s.dns_config.name_servers = {"10.0.0.53"};
  });
  for (const std::string& id : {sysctl, dns}) {
    Reconcile(id);
    ContainerGroup g = Group(id);
    EXPECT_EQ(g.status.phase, GroupPhase::Running);
    EXPECT_TRUE(g.status.pool_sandbox_id.empty());
  }
  EXPECT_EQ(pool_->WarmCount(kDefaultKey), 2u) << "the pool is untouched";
  EXPECT_EQ(runtime_.SandboxConfigs().back().labels.at(runtime::kGroupIdLabel), dns);
}

TEST_F(SandboxPoolTest, AnotherKeyIsKeptWarmOnceAsked) {
  Refill();
  std::string id = CreateGroup([](core::ContainerGroupSpec& s) { s.vswitch_id = "vsw-b"; });
  Reconcile(id);
  EXPECT_TRUE(Group(id).status.pool_sandbox_id.empty()) << "nothing warm for vsw-b yet";
  Refill();
  const std::string key_b = PoolKey("vsw-b", "sg-default");
  EXPECT_EQ(pool_->WarmCount(key_b), 2u);
  std::string next = CreateGroup([](core::ContainerGroupSpec& s) { s.vswitch_id = "vsw-b"; });
  Reconcile(next);
  std::string claimed = Group(next).status.pool_sandbox_id;
  ASSERT_FALSE(claimed.empty());
  EXPECT_EQ(runtime_.InspectSandbox(claimed)->labels.at(kPoolKeyLabel), key_b);

  clock_.Advance(std::chrono::minutes(11));  // nobody asked for vsw-b since
  Refill();
  EXPECT_EQ(pool_->WarmCount(key_b), 0u);
  EXPECT_EQ(pool_->WarmCount(kDefaultKey), 2u);
}

TEST_F(SandboxPoolTest, RestartReadoptsClaimedAndWarmSandboxes) {
  Refill();
  std::string id = CreateGroup();
  Reconcile(id);
  const std::string claimed = Group(id).status.pool_sandbox_id;
  ASSERT_FALSE(claimed.empty());
  const int runs = runtime_.calls().run_sandbox;
  const size_t containers = runtime_.ContainerConfigs().size();

  Restart();  // as after a SIGKILL: everything still runs
  EXPECT_EQ(pool_->WarmCount(kDefaultKey), 1u) << "the unclaimed one is warm again";
  Reconcile(id);
  ContainerGroup g = Group(id);
  EXPECT_EQ(g.status.phase, GroupPhase::Running);
  EXPECT_EQ(g.status.pool_sandbox_id, claimed);
  EXPECT_EQ(runtime_.ContainerConfigs().size(), containers) << "no container re-created";
  EXPECT_EQ(runtime_.calls().run_sandbox, runs);
  EXPECT_EQ(runtime_.HostnameOf(claimed), "web-1");
  Refill();
  EXPECT_EQ(PoolSandboxes().size(), 3u);  // the claimed one + two warm
}

TEST_F(SandboxPoolTest, ASandboxTakenButNeverClaimedReturnsToThePool) {
  Refill();
  // As if OpenECI died between setting the hostname and writing the claim.
  SandboxInfo sb = PoolSandboxes().front();
  ASSERT_TRUE(runtime_.SetSandboxHostname(sb.id, "web-1").ok());
  Restart();
  EXPECT_EQ(pool_->WarmCount(kDefaultKey), 2u);
  EXPECT_EQ(runtime_.HostnameOf(sb.id), sb.labels.at(kPoolUidLabel));
}

TEST_F(SandboxPoolTest, DeleteRemovesTheClaimedSandboxOnly) {
  Refill();
  std::string id = CreateGroup();
  Reconcile(id);
  const std::string claimed = Group(id).status.pool_sandbox_id;
  ContainerGroup g = Group(id);
  g.deleting = true;
  ASSERT_TRUE(store_->UpdateGroup(g, g.revision).ok());
  Reconcile(id);
  EXPECT_FALSE(store_->GetGroup(id).ok());
  EXPECT_FALSE(runtime_.InspectSandbox(claimed).ok()) << "the claimed sandbox is gone";
  EXPECT_EQ(PoolSandboxes().size(), 1u) << "the warm one stays";
  ASSERT_TRUE(pool_->CollectGarbage().ok());
  EXPECT_EQ(pool_->WarmCount(kDefaultKey), 1u);
}

TEST_F(SandboxPoolTest, RestartOfTheGroupLeavesTheClaimedSandbox) {
  Refill();
  std::string id = CreateGroup();
  Reconcile(id);
  const std::string first = Group(id).status.pool_sandbox_id;
  ContainerGroup g = Group(id);
  g.restart_generation += 1;
  g.status.phase = GroupPhase::Restarting;
  ASSERT_TRUE(store_->UpdateGroup(g, g.revision).ok());
  Reconcile(id);
  g = Group(id);
  EXPECT_FALSE(runtime_.InspectSandbox(first).ok());
  EXPECT_NE(g.status.pool_sandbox_id, first);
  EXPECT_FALSE(g.status.pool_sandbox_id.empty()) << "the second warm sandbox";
  EXPECT_EQ(g.status.phase, GroupPhase::Running);
}

TEST_F(SandboxPoolTest, GarbageCollectionRemovesPoolSandboxesNobodyHolds) {
  Refill();
  // A claimed sandbox whose group record is gone (it cannot happen through the controller,
  // which removes the sandbox first, but an operator can delete the database).
  std::string id = CreateGroup();
  Reconcile(id);
  const std::string claimed = Group(id).status.pool_sandbox_id;
  ASSERT_TRUE(store_->DeleteGroup(id, Group(id).revision).ok());
  ASSERT_TRUE(pool_->CollectGarbage().ok());
  EXPECT_FALSE(runtime_.InspectSandbox(claimed).ok());
  EXPECT_EQ(pool_->WarmCount(kDefaultKey), 1u);
  // A warm sandbox whose pause process died leaves the pool.
  runtime_.KillSandbox(PoolSandboxes().front().id);
  ASSERT_TRUE(pool_->CollectGarbage().ok());
  EXPECT_EQ(pool_->WarmCount(kDefaultKey), 0u);
}

TEST_F(SandboxPoolTest, SizeZeroRemovesLeftoversAndNeverClaims) {
  Refill();
  Restart(/*size=*/0);
  EXPECT_TRUE(PoolSandboxes().empty());
  std::string id = CreateGroup();
  Reconcile(id);
  EXPECT_TRUE(Group(id).status.pool_sandbox_id.empty());
  EXPECT_EQ(Group(id).status.phase, GroupPhase::Running);
}

}  // namespace
}  // namespace openeci::controller
