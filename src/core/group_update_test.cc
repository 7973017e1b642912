// UpdateContainerGroup's semantics: the pure merge rules (core/group_update.h) and
// ContainerGroupService::Update over the real SQLite store with a FakeClock — status rules,
// NoNeedUpdate, restart or not, validation as Create, ClientToken idempotency.
#include "core/group_update.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>

#include "core/container_group_service.h"
#include "core/lifecycle.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::core {
namespace {

namespace fs = std::filesystem;

ContainerSpec Container(const std::string& name, const std::string& image = "busybox") {
  ContainerSpec c;
  c.name = name;
  c.image = image;
  c.cpu = 0.5;
  c.memory_gib = 0.5;
  c.command = {"sleep", "3600"};
  return c;
}

ContainerGroupSpec BaseSpec() {
  ContainerGroupSpec s;
  s.name = "web";
  s.region_id = "cn-hangzhou";
  s.cpu = 2;
  s.memory_gib = 4;
  s.tags = {{"env", "test"}};
  s.credentials = {{"registry.example.com", "u", "p"}};
  s.containers = {Container("app"), Container("sidecar")};
  return s;
}

TEST(ApplyUpdate, GivenPartsReplaceWholeListsAbsentPartsStay) {
  GroupUpdate update;
  update.containers = std::vector<ContainerSpec>{Container("only")};
  update.tags = std::vector<Tag>{{"team", "a"}, {"tier", "b"}};
  StatusOr<ContainerGroupSpec> next = ApplyUpdate(BaseSpec(), update);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_EQ(next->containers.size(), 1u);
  EXPECT_EQ(next->containers[0].name, "only");
  ASSERT_EQ(next->tags.size(), 2u);
  EXPECT_EQ(next->tags[0].key, "team");
  EXPECT_EQ(next->credentials.size(), 1u);  // absent: kept
  EXPECT_EQ(next->restart_policy, RestartPolicy::Always);
  EXPECT_EQ(next->name, "web");
}

TEST(ApplyUpdate, CpuAndMemoryCannotChange) {
  GroupUpdate same;
  same.cpu = 2;
  same.memory_gib = 4;
  EXPECT_TRUE(ApplyUpdate(BaseSpec(), same).ok());
  GroupUpdate cpu;
  cpu.cpu = 3;
  Status st = ApplyUpdate(BaseSpec(), cpu).status();
  EXPECT_EQ(st.api_code(), "InvalidParameter");
  EXPECT_NE(st.message().find("\"Cpu\" cannot be updated"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("is 2;"), std::string::npos) << st.message();
  GroupUpdate memory;
  memory.memory_gib = 8;
  EXPECT_NE(ApplyUpdate(BaseSpec(), memory).status().message().find("\"Memory\""),
            std::string::npos);
}

TEST(UpdateNeedsRestart, OnlyTagsResourceGroupAndFewerCredentialsAreLive) {
  ContainerGroupSpec before = BaseSpec();
  ContainerGroupSpec tags = before;
  tags.tags = {};
  tags.resource_group_id = "rg-1";
  EXPECT_FALSE(UpdateNeedsRestart(before, tags));
  ContainerGroupSpec credentials = before;
  credentials.credentials = {{"other.example.com", "x", "y"}};
  EXPECT_FALSE(UpdateNeedsRestart(before, credentials));
  credentials.credentials.push_back({"third.example.com", "x", "y"});
  EXPECT_TRUE(UpdateNeedsRestart(before, credentials));  // more than before
  ContainerGroupSpec env = before;
  env.containers[1].env = {{"MODE", "new", ""}};
  EXPECT_TRUE(UpdateNeedsRestart(before, env));
  ContainerGroupSpec policy = before;
  policy.restart_policy = RestartPolicy::Never;
  EXPECT_TRUE(UpdateNeedsRestart(before, policy));
  ContainerGroupSpec dns = before;
  dns.dns_config.searches = {"svc.local"};
  EXPECT_TRUE(UpdateNeedsRestart(before, dns));
}

TEST(SameSpec, ComparesNestedFields) {
  ContainerGroupSpec a = BaseSpec();
  ContainerGroupSpec b = a;
  EXPECT_TRUE(SameSpec(a, b));
  b.containers[0].liveness_probe.period_seconds = 11;
  EXPECT_FALSE(SameSpec(a, b));
  b = a;
  b.containers[0].security_context.run_as_user = 0;
  EXPECT_FALSE(SameSpec(a, b));
}

class UpdateServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "group_update_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto store = store::SqliteStore::Open(dir_ + "/openeci.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    service_ = std::make_unique<ContainerGroupService>(*store_, clock_, topology_);
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string Create(GroupPhase phase = GroupPhase::Running) {
    StatusOr<std::string> id = service_->Create(kAccount, BaseSpec(), "", "");
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    ContainerGroup g = Stored(*id);
    g.status.phase = phase;
    EXPECT_TRUE(store_->UpdateGroup(g, g.revision).ok());
    return *id;
  }
  ContainerGroup Stored(const std::string& id) { return *store_->GetGroup(id); }
  Status Update(const std::string& id, const GroupUpdate& u, const std::string& token = "",
                const std::string& fingerprint = "fp") {
    return service_->Update(kAccount, id, u, token, fingerprint);
  }

  static constexpr const char* kAccount = "1234567890";
  std::string dir_;
  FakeClock clock_{FromUnixMillis(1'700'000'000'000)};
  Topology topology_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<ContainerGroupService> service_;
};

TEST_F(UpdateServiceTest, TagsOnlyUpdateKeepsTheGroupRunning) {
  std::string id = Create();
  GroupUpdate u;
  u.tags = std::vector<Tag>{{"env", "prod"}};
  ASSERT_TRUE(Update(id, u).ok());
  ContainerGroup g = Stored(id);
  EXPECT_EQ(g.spec.tags[0].value, "prod");
  EXPECT_EQ(g.status.phase, GroupPhase::Running);
  EXPECT_EQ(g.restart_generation, 0);
}

TEST_F(UpdateServiceTest, ContainerChangeShowsUpdatingAndBumpsTheGeneration) {
  std::string id = Create(GroupPhase::Pending);
  GroupUpdate u;
  ContainerSpec app = Container("app", "busybox:2");
  u.containers = std::vector<ContainerSpec>{app};
  ASSERT_TRUE(Update(id, u).ok());
  ContainerGroup g = Stored(id);
  EXPECT_EQ(g.status.phase, GroupPhase::Updating);
  EXPECT_EQ(g.restart_generation, 1);
  ASSERT_EQ(g.spec.containers.size(), 1u);
  EXPECT_EQ(g.spec.containers[0].image, "busybox:2");
  // Updating is not Pending or Running: a second update waits.
  EXPECT_EQ(Update(id, u).api_code(), "IncorrectStatus");
}

TEST_F(UpdateServiceTest, OnlyPendingOrRunningGroupsCanBeUpdated) {
  for (GroupPhase phase : {GroupPhase::Succeeded, GroupPhase::Failed, GroupPhase::Restarting}) {
    std::string id = Create(phase);
    GroupUpdate u;
    u.tags = std::vector<Tag>{{"k", "v"}};
    Status st = Update(id, u);
    EXPECT_EQ(st.api_code(), "IncorrectStatus");
    EXPECT_NE(st.message().find(PhaseName(phase)), std::string::npos) << st.message();
  }
}

TEST_F(UpdateServiceTest, UnknownGroupIsNotFound) {
  GroupUpdate u;
  u.tags = std::vector<Tag>{{"k", "v"}};
  Status st = Update("eci-doesnotexist000000", u);
  EXPECT_EQ(st.api_code(), "InvalidParameter.NotFound");
  EXPECT_EQ(st.cls(), StatusClass::kNotFound);
}

TEST_F(UpdateServiceTest, NothingToChangeIsNoNeedUpdate) {
  std::string id = Create();
  EXPECT_EQ(Update(id, GroupUpdate()).api_code(), "NoNeedUpdate");
  GroupUpdate same;
  same.tags = BaseSpec().tags;
  same.containers = BaseSpec().containers;
  same.cpu = 2;
  EXPECT_EQ(Update(id, same).api_code(), "NoNeedUpdate");
}

TEST_F(UpdateServiceTest, TheResultIsValidatedAsCreateValidates) {
  std::string id = Create();
  GroupUpdate dup;
  dup.containers = std::vector<ContainerSpec>{Container("a"), Container("a")};
  EXPECT_EQ(Update(id, dup).api_code(), "InvalidParameter.DuplicatedName");
  GroupUpdate big;
  ContainerSpec huge = Container("a");
  huge.cpu = 4;  // more than the group's 2 vCPUs, which cannot change
  big.containers = std::vector<ContainerSpec>{huge};
  EXPECT_EQ(Update(id, big).api_code(), "InvalidParameter.CPU.Memory");
  GroupUpdate cpu;
  cpu.cpu = 4;
  EXPECT_EQ(Update(id, cpu).api_code(), "InvalidParameter");
  EXPECT_EQ(Stored(id).spec.containers.size(), 2u);
}

TEST_F(UpdateServiceTest, ClientTokenMakesUpdateIdempotent) {
  std::string id = Create();
  GroupUpdate u;
  u.containers = std::vector<ContainerSpec>{Container("app", "busybox:2")};
  ASSERT_TRUE(Update(id, u, "tok-1", "fp-1").ok());
  // The retry answers success although the group is Updating now and nothing would change.
  EXPECT_TRUE(Update(id, u, "tok-1", "fp-1").ok());
  EXPECT_EQ(Stored(id).restart_generation, 1);
  EXPECT_EQ(Update(id, u, "tok-1", "fp-2").api_code(), "IdempotentParameterMismatch");
  // A token a create used cannot update another group.
  StatusOr<std::string> other = service_->Create(kAccount, BaseSpec(), "tok-2", "fp-3");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(Update(id, u, "tok-2", "fp-3").api_code(), "IdempotentParameterMismatch");
}

TEST_F(UpdateServiceTest, ClientTokenMakesRestartIdempotent) {
  std::string id = Create();
  ASSERT_TRUE(service_->Restart(kAccount, id, "tok-r", "fp-r").ok());
  // The retry restarts nothing a second time (without the token: IncorrectStatus, Restarting).
  EXPECT_TRUE(service_->Restart(kAccount, id, "tok-r", "fp-r").ok());
  EXPECT_EQ(Stored(id).restart_generation, 1);
  EXPECT_EQ(service_->Restart(kAccount, id).api_code(), "IncorrectStatus");
  EXPECT_EQ(service_->Restart(kAccount, id, "tok-r", "fp-other").api_code(),
            "IdempotentParameterMismatch");
  EXPECT_EQ(service_->Restart(kAccount, id, std::string(65, 'x'), "fp-r").api_code(),
            "InvalidParameter.ValueExceeded");
}

}  // namespace
}  // namespace openeci::core
