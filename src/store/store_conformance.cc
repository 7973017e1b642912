#include "store/store_conformance.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace openeci::store::testing {
namespace {

constexpr char kAccount[] = "1234567890";
constexpr char kOtherAccount[] = "9876543210";

std::string GroupId(int n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "eci-%020d", n);
  return buf;
}

core::ContainerGroup SimpleGroup(const std::string& id, const std::string& account = kAccount) {
  core::ContainerGroup g;
  g.id = id;
  g.account_id = account;
  g.creation_time = 1'700'000'000'000;
  g.spec.name = "group-" + id;
  g.spec.region_id = "cn-hangzhou";
  g.spec.zone_id = "cn-hangzhou-h";
  g.spec.vswitch_id = "vsw-1";
  g.spec.resource_group_id = "rg-1";
  core::ContainerSpec c;
  c.name = "main";
  c.image = "nginx:1.25";
  g.spec.containers.push_back(c);
  return g;
}

StatusOr<int64_t> Create(Store& store, const core::ContainerGroup& g) {
  std::string existing;
  return store.CreateGroup(g, std::nullopt, &existing);
}

std::vector<std::string> Ids(const std::vector<core::ContainerGroup>& groups) {
  std::vector<std::string> ids;
  for (const auto& g : groups) {
    ids.push_back(g.id);
  }
  return ids;
}

// Collects watch events; waits for them without sleeping longer than needed.
class Recorder {
 public:
  std::function<void(const WatchEvent&)> Callback() {
    return [this](const WatchEvent& e) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(e);
      cv_.notify_all();
    };
  }
  // True once at least `n` events arrived (within a generous deadline for async backends).
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return events_.size() >= n; });
  }
  std::vector<WatchEvent> Events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WatchEvent> events_;
};

// Seeds the groups the list-filter tests query:
//   1: r1 z1 v1 rgA web Running  env=prod team=a
//   2: r1 z2 v2 rgB db  Pending  env=dev
//   3: r2 z1 v1 rgA web Running  team=a
//   4: r1 z1 v1 rgA web Running  env=prod team=a  (deleting)
//   5: like 1, other account
void SeedFilterGroups(Store& store) {
  struct Row {
    int n;
    const char* account;
    const char* region;
    const char* zone;
    const char* vswitch;
    const char* rg;
    const char* name;
    core::GroupPhase phase;
    bool deleting;
    std::vector<core::Tag> tags;
  };
  const std::vector<Row> rows = {
      {1,
       kAccount,
       "r1",
       "z1",
       "v1",
       "rgA",
       "web",
       core::GroupPhase::Running,
       false,
       {{"env", "prod"}, {"team", "a"}}},
      {2,
       kAccount,
       "r1",
       "z2",
       "v2",
       "rgB",
       "db",
       core::GroupPhase::Pending,
       false,
       {{"env", "dev"}}},
      {3,
       kAccount,
       "r2",
       "z1",
       "v1",
       "rgA",
       "web",
       core::GroupPhase::Running,
       false,
       {{"team", "a"}}},
      {4,
       kAccount,
       "r1",
       "z1",
       "v1",
       "rgA",
       "web",
       core::GroupPhase::Running,
       true,
       {{"env", "prod"}, {"team", "a"}}},
      {5,
       kOtherAccount,
       "r1",
       "z1",
       "v1",
       "rgA",
       "web",
       core::GroupPhase::Running,
       false,
       {{"env", "prod"}, {"team", "a"}}},
  };
  for (const Row& r : rows) {
    core::ContainerGroup g = SimpleGroup(GroupId(r.n), r.account);
    g.spec.region_id = r.region;
    g.spec.zone_id = r.zone;
    g.spec.vswitch_id = r.vswitch;
    g.spec.resource_group_id = r.rg;
    g.spec.name = r.name;
    g.status.phase = r.phase;
    g.deleting = r.deleting;
    g.spec.tags = r.tags;
    ASSERT_TRUE(Create(store, g).ok());
  }
}

GroupQuery Query() {
  GroupQuery q;
  q.account_id = kAccount;
  return q;
}

std::vector<std::string> Expect(std::initializer_list<int> ns) {
  std::vector<std::string> ids;
  for (int n : ns) {
    ids.push_back(GroupId(n));
  }
  return ids;
}

// The ids of a query that fits on one page.
std::vector<std::string> List(Store& store, const GroupQuery& q) {
  StatusOr<GroupPage> page = store.ListGroups(q);
  EXPECT_TRUE(page.ok()) << page.status().ToString();
  if (!page.ok()) {
    return {};
  }
  EXPECT_EQ(page->total_count, static_cast<int64_t>(page->groups.size()));
  EXPECT_EQ(page->next_token, "");
  return Ids(page->groups);
}

}  // namespace

core::ContainerGroup FullyPopulatedGroup(const std::string& id, const std::string& account_id) {
  core::ContainerGroup g;
  g.id = id;
  g.account_id = account_id;
  g.creation_time = 1'700'000'000'123;
  g.restart_generation = 3;
  g.deleting = true;

  core::ContainerGroupSpec& s = g.spec;
  s.name = "full-group";
  s.region_id = "cn-beijing";
  s.zone_id = "cn-beijing-k";
  s.vswitch_id = "vsw-full";
  s.security_group_id = "sg-full";
  s.resource_group_id = "rg-full";
  s.instance_type = "ecs.c6.large";
  s.restart_policy = core::RestartPolicy::OnFailure;
  s.cpu = 2.5;
  s.memory_gib = 4.25;
  s.tags = {{"env", "prod"}, {"team", "infra"}};
  s.credentials = {{"registry.example.com", "user", "p@ss\"word"}};
  for (int i = 0; i < 2; ++i) {
    core::ContainerSpec c;
    c.name = "c" + std::to_string(i);
    c.image = "registry.example.com/app:" + std::to_string(i);
    c.cpu = 0.5 + i;
    c.memory_gib = 1.5 + i;
    c.working_dir = "/srv";
    c.pull_policy = core::PullPolicy::Always;
    c.command = {"/bin/sh", "-c"};
    c.args = {"echo hi", "ünïcødé \n tab\t"};
    c.env = {{"POD_IP", "", "status.podIP"}, {"K", "V", "x"}};
    c.ports = {{8080, "UDP"}, {443, "TCP"}};
    s.containers.push_back(c);
  }

  core::GroupStatus& st = g.status;
  st.phase = core::GroupPhase::Running;
  st.intranet_ip = "10.0.0.7";
  st.succeeded_time = 1'700'000'001'000;
  st.failed_time = 1'700'000'002'000;
  st.observed_generation = 2;
  core::ContainerStatus cs;
  cs.name = "c0";
  cs.current = {"Running", "working", "Started", "ok", 1'700'000'003'000, 1'700'000'004'000, 0, 15};
  cs.previous = {"Terminated",      "done", "Error", "boom", 1'700'000'000'500,
                 1'700'000'000'900, 137,    9};
  cs.ready = true;
  cs.restart_count = 4;
  st.containers = {cs};
  return g;
}

std::string DescribeGroup(const core::ContainerGroup& group) {
  return boost::json::serialize(boost::json::value_from(group));
}

void StoreConformanceTest::SetUp() {
  store_ = GetParam()();
  ASSERT_NE(store_, nullptr);
}

TEST_P(StoreConformanceTest, CreateGetRoundTripKeepsEveryField) {
  core::ContainerGroup g = FullyPopulatedGroup(GroupId(1), kAccount);
  StatusOr<int64_t> rev = Create(*store_, g);
  ASSERT_TRUE(rev.ok()) << rev.status().ToString();

  StatusOr<core::ContainerGroup> got = store_->GetGroup(g.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(DescribeGroup(*got), DescribeGroup(g));
  EXPECT_EQ(got->status, g.status);
  EXPECT_EQ(got->revision, *rev);

  // The same through an update and the list paths.
  g.spec.tags.push_back({"new", "tag"});
  g.status.containers[0].current.exit_code.reset();
  g.status.phase = core::GroupPhase::Restarting;
  g.restart_generation = 4;
  StatusOr<int64_t> rev2 = store_->UpdateGroup(g, *rev);
  ASSERT_TRUE(rev2.ok()) << rev2.status().ToString();
  got = store_->GetGroup(g.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(DescribeGroup(*got), DescribeGroup(g));
  EXPECT_EQ(got->revision, *rev2);

  GroupQuery q;
  q.account_id = kAccount;
  q.include_deleting = true;
  StatusOr<GroupPage> page = store_->ListGroups(q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->groups.size(), 1u);
  EXPECT_EQ(DescribeGroup(page->groups[0]), DescribeGroup(g));
  EXPECT_EQ(page->groups[0].revision, *rev2);

  StatusOr<std::vector<core::ContainerGroup>> all = store_->ListAllGroups();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(DescribeGroup((*all)[0]), DescribeGroup(g));
  EXPECT_EQ((*all)[0].revision, *rev2);
}

TEST_P(StoreConformanceTest, GetAbsentGroupIsNotFound) {
  StatusOr<core::ContainerGroup> got = store_->GetGroup(GroupId(404));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().cls(), StatusClass::kNotFound);
}

TEST_P(StoreConformanceTest, CreateDuplicateIdFails) {
  ASSERT_TRUE(Create(*store_, SimpleGroup(GroupId(1))).ok());
  StatusOr<int64_t> again = Create(*store_, SimpleGroup(GroupId(1)));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().cls(), StatusClass::kAlreadyExists);
}

TEST_P(StoreConformanceTest, RevisionsIncreaseWithEveryGroupWrite) {
  const int64_t r0 = store_->CurrentRevision();
  StatusOr<int64_t> ra = Create(*store_, SimpleGroup(GroupId(1)));
  ASSERT_TRUE(ra.ok());
  EXPECT_GT(*ra, r0);
  EXPECT_EQ(store_->CurrentRevision(), *ra);
  StatusOr<int64_t> rb = Create(*store_, SimpleGroup(GroupId(2)));
  ASSERT_TRUE(rb.ok());
  EXPECT_GT(*rb, *ra);

  core::ContainerGroup a = *store_->GetGroup(GroupId(1));
  EXPECT_EQ(a.revision, *ra);
  a.status.phase = core::GroupPhase::Running;
  StatusOr<int64_t> ra2 = store_->UpdateGroup(a, *ra);
  ASSERT_TRUE(ra2.ok());
  EXPECT_GT(*ra2, *rb);
  EXPECT_EQ(store_->CurrentRevision(), *ra2);
  EXPECT_EQ(store_->GetGroup(GroupId(1))->revision, *ra2);
  EXPECT_EQ(store_->GetGroup(GroupId(2))->revision, *rb);

  // Events are not group writes.
  ASSERT_TRUE(store_->RecordEvent(GroupId(1), core::Event{}).ok());
  EXPECT_EQ(store_->CurrentRevision(), *ra2);

  ASSERT_TRUE(store_->DeleteGroup(GroupId(2), *rb).ok());
  EXPECT_GT(store_->CurrentRevision(), *ra2);
}

TEST_P(StoreConformanceTest, UpdateWithStaleRevisionIsAborted) {
  core::ContainerGroup g = SimpleGroup(GroupId(1));
  StatusOr<int64_t> r1 = Create(*store_, g);
  ASSERT_TRUE(r1.ok());
  g.restart_generation = 1;
  StatusOr<int64_t> r2 = store_->UpdateGroup(g, *r1);
  ASSERT_TRUE(r2.ok());

  g.restart_generation = 2;
  StatusOr<int64_t> stale = store_->UpdateGroup(g, *r1);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().cls(), StatusClass::kAborted);
  StatusOr<core::ContainerGroup> got = store_->GetGroup(g.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->restart_generation, 1);
  EXPECT_EQ(got->revision, *r2);
  EXPECT_EQ(store_->CurrentRevision(), *r2);

  StatusOr<int64_t> absent = store_->UpdateGroup(SimpleGroup(GroupId(2)), *r2);
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.status().cls(), StatusClass::kNotFound);
}

TEST_P(StoreConformanceTest, DeleteWithStaleRevisionFails) {
  core::ContainerGroup g = SimpleGroup(GroupId(1));
  StatusOr<int64_t> r1 = Create(*store_, g);
  ASSERT_TRUE(r1.ok());
  StatusOr<int64_t> r2 = store_->UpdateGroup(g, *r1);
  ASSERT_TRUE(r2.ok());

  Status stale = store_->DeleteGroup(g.id, *r1);
  EXPECT_EQ(stale.cls(), StatusClass::kAborted);
  EXPECT_TRUE(store_->GetGroup(g.id).ok());

  EXPECT_TRUE(store_->DeleteGroup(g.id, *r2).ok());
  EXPECT_EQ(store_->GetGroup(g.id).status().cls(), StatusClass::kNotFound);
  EXPECT_EQ(store_->DeleteGroup(g.id, *r2).cls(), StatusClass::kNotFound);
  StatusOr<int64_t> count = store_->CountGroups(kAccount);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0);
}

TEST_P(StoreConformanceTest, ClientTokenMakesUpdateIdempotent) {
  ASSERT_TRUE(store_->CreateGroup(SimpleGroup(GroupId(1)), std::nullopt, nullptr).ok());
  core::ContainerGroup g = *store_->GetGroup(GroupId(1));
  ClientTokenRecord token{kAccount, "update-1", "fingerprint-1", GroupId(1)};
  StatusOr<std::optional<std::string>> before = store_->FindClientToken(token);
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(before->has_value());

  g.spec.tags = {{"k", "v1"}};
  bool replayed = true;
  StatusOr<int64_t> r1 = store_->UpdateGroupWithToken(g, g.revision, token, &replayed);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_FALSE(replayed);
  StatusOr<std::optional<std::string>> found = store_->FindClientToken(token);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->value_or(""), GroupId(1));

  // The same token again writes nothing, whatever the revision it read.
  core::ContainerGroup again = *store_->GetGroup(GroupId(1));
  again.spec.tags = {{"k", "v2"}};
  StatusOr<int64_t> r2 = store_->UpdateGroupWithToken(again, g.revision, token, &replayed);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_TRUE(replayed);
  EXPECT_EQ(*r2, *r1);
  EXPECT_EQ(store_->GetGroup(GroupId(1))->spec.tags[0].value, "v1");

  ClientTokenRecord other = token;
  other.fingerprint = "fingerprint-2";
  EXPECT_EQ(store_->FindClientToken(other).status().api_code(), "IdempotentParameterMismatch");
  EXPECT_EQ(store_->UpdateGroupWithToken(again, *r1, other, &replayed).status().api_code(),
            "IdempotentParameterMismatch");

  // A new token still obeys compare-and-swap.
  ClientTokenRecord fresh{kAccount, "update-2", "fingerprint-3", GroupId(1)};
  EXPECT_EQ(store_->UpdateGroupWithToken(again, g.revision, fresh, &replayed).status().cls(),
            StatusClass::kAborted);
  EXPECT_FALSE(store_->FindClientToken(fresh)->has_value());
}

TEST_P(StoreConformanceTest, ClientTokenMakesCreateIdempotent) {
  ClientTokenRecord token{kAccount, "token-1", "fingerprint-1", GroupId(1)};
  std::string existing = "garbage";
  StatusOr<int64_t> r1 = store_->CreateGroup(SimpleGroup(GroupId(1)), token, &existing);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(existing, "");

  // A retry (same fingerprint) creates nothing and answers with the first group.
  ClientTokenRecord retry = token;
  retry.resource_id = GroupId(2);
  StatusOr<int64_t> r2 = store_->CreateGroup(SimpleGroup(GroupId(2)), retry, &existing);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(existing, GroupId(1));
  EXPECT_EQ(*r2, *r1);
  EXPECT_EQ(store_->GetGroup(GroupId(2)).status().cls(), StatusClass::kNotFound);
  EXPECT_EQ(store_->CurrentRevision(), *r1);

  // The answer is the group's current revision.
  core::ContainerGroup g = *store_->GetGroup(GroupId(1));
  StatusOr<int64_t> r3 = store_->UpdateGroup(g, g.revision);
  ASSERT_TRUE(r3.ok());
  existing.clear();
  StatusOr<int64_t> r4 = store_->CreateGroup(SimpleGroup(GroupId(2)), retry, &existing);
  ASSERT_TRUE(r4.ok());
  EXPECT_EQ(existing, GroupId(1));
  EXPECT_EQ(*r4, *r3);

  // The token can be looked up without creating anything.
  StatusOr<std::optional<std::string>> found = store_->FindClientToken(retry);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->value_or(""), GroupId(1));
  ClientTokenRecord unused{kAccount, "token-unused", "fingerprint-1", ""};
  EXPECT_FALSE(store_->FindClientToken(unused)->has_value());

  // Same token, different request.
  ClientTokenRecord other = token;
  other.fingerprint = "fingerprint-2";
  existing.clear();
  StatusOr<int64_t> mismatch = store_->CreateGroup(SimpleGroup(GroupId(3)), other, &existing);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().cls(), StatusClass::kInvalidArgument);
  EXPECT_EQ(mismatch.status().api_code(), "IdempotentParameterMismatch");
  EXPECT_EQ(existing, "");
  EXPECT_EQ(store_->FindClientToken(other).status().api_code(), "IdempotentParameterMismatch");
  EXPECT_EQ(store_->GetGroup(GroupId(3)).status().cls(), StatusClass::kNotFound);

  // Tokens are per account.
  ClientTokenRecord foreign{kOtherAccount, "token-1", "fingerprint-9", GroupId(4)};
  StatusOr<int64_t> r5 =
      store_->CreateGroup(SimpleGroup(GroupId(4), kOtherAccount), foreign, &existing);
  ASSERT_TRUE(r5.ok()) << r5.status().ToString();
  EXPECT_EQ(existing, "");

  // Deleting the group frees its token.
  ASSERT_TRUE(store_->DeleteGroup(GroupId(1), *r3).ok());
  other.resource_id = GroupId(3);
  StatusOr<int64_t> r6 = store_->CreateGroup(SimpleGroup(GroupId(3)), other, &existing);
  ASSERT_TRUE(r6.ok()) << r6.status().ToString();
  EXPECT_EQ(existing, "");
  EXPECT_TRUE(store_->GetGroup(GroupId(3)).ok());
}

TEST_P(StoreConformanceTest, ListEachFilterAlone) {
  SeedFilterGroups(*store_);
  ASSERT_FALSE(HasFatalFailure());
  GroupQuery q = Query();
  EXPECT_EQ(List(*store_, q), Expect({1, 2, 3}));

  q = Query();
  q.include_deleting = true;
  EXPECT_EQ(List(*store_, q), Expect({1, 2, 3, 4}));

  q = Query();
  q.region_id = "r1";
  EXPECT_EQ(List(*store_, q), Expect({1, 2}));

  q = Query();
  q.ids = {GroupId(3), GroupId(1), GroupId(5), GroupId(99)};
  EXPECT_EQ(List(*store_, q), Expect({1, 3}));

  q = Query();
  q.name = "web";
  EXPECT_EQ(List(*store_, q), Expect({1, 3}));

  q = Query();
  q.phase = "Running";
  EXPECT_EQ(List(*store_, q), Expect({1, 3}));
  q.phase = "Pending";
  EXPECT_EQ(List(*store_, q), Expect({2}));
  q.phase = "Failed";
  EXPECT_EQ(List(*store_, q), Expect({}));

  q = Query();
  q.zone_id = "z1";
  EXPECT_EQ(List(*store_, q), Expect({1, 3}));

  q = Query();
  q.vswitch_id = "v2";
  EXPECT_EQ(List(*store_, q), Expect({2}));

  q = Query();
  q.resource_group_id = "rgA";
  EXPECT_EQ(List(*store_, q), Expect({1, 3}));

  q = Query();
  q.tags = {{"env", ""}};
  EXPECT_EQ(List(*store_, q), Expect({1, 2}));
  q.tags = {{"env", "prod"}};
  EXPECT_EQ(List(*store_, q), Expect({1}));
  q.tags = {{"env", "staging"}};
  EXPECT_EQ(List(*store_, q), Expect({}));

  q = Query();
  q.account_id = kOtherAccount;
  EXPECT_EQ(List(*store_, q), Expect({5}));
}

TEST_P(StoreConformanceTest, ListFiltersCombine) {
  SeedFilterGroups(*store_);
  ASSERT_FALSE(HasFatalFailure());
  GroupQuery q = Query();
  q.tags = {{"team", "a"}, {"env", "prod"}};
  EXPECT_EQ(List(*store_, q), Expect({1}));
  q.include_deleting = true;
  EXPECT_EQ(List(*store_, q), Expect({1, 4}));

  q = Query();
  q.region_id = "r1";
  q.name = "web";
  q.tags = {{"team", "a"}};
  EXPECT_EQ(List(*store_, q), Expect({1}));

  q = Query();
  q.phase = "Running";
  q.zone_id = "z1";
  q.ids = {GroupId(3), GroupId(2)};
  EXPECT_EQ(List(*store_, q), Expect({3}));

  q = Query();
  q.vswitch_id = "v1";
  q.resource_group_id = "rgA";
  q.region_id = "r2";
  EXPECT_EQ(List(*store_, q), Expect({3}));

  q = Query();
  q.name = "web";
  q.vswitch_id = "v2";
  EXPECT_EQ(List(*store_, q), Expect({}));
}

TEST_P(StoreConformanceTest, ListPhaseFilterFollowsUpdates) {
  SeedFilterGroups(*store_);
  ASSERT_FALSE(HasFatalFailure());
  core::ContainerGroup g = *store_->GetGroup(GroupId(2));
  g.status.phase = core::GroupPhase::Failed;
  g.spec.tags = {{"env", "staging"}};
  ASSERT_TRUE(store_->UpdateGroup(g, g.revision).ok());
  GroupQuery q = Query();
  q.phase = "Failed";
  EXPECT_EQ(List(*store_, q), Expect({2}));
  q = Query();
  q.tags = {{"env", "staging"}};
  EXPECT_EQ(List(*store_, q), Expect({2}));
  q.tags = {{"env", "dev"}};
  EXPECT_EQ(List(*store_, q), Expect({}));
}

TEST_P(StoreConformanceTest, ListCountAndListAllSeeEveryGroup) {
  SeedFilterGroups(*store_);
  ASSERT_FALSE(HasFatalFailure());
  StatusOr<int64_t> count = store_->CountGroups(kAccount);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 4);  // including the one being deleted
  count = store_->CountGroups("nobody");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0);
  StatusOr<std::vector<core::ContainerGroup>> all = store_->ListAllGroups();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Ids(*all), Expect({1, 2, 3, 4, 5}));
}

TEST_P(StoreConformanceTest, ListActiveGroupsLeavesOutFinishedOnes) {
  const core::GroupPhase phases[] = {core::GroupPhase::Pending, core::GroupPhase::Succeeded,
                                     core::GroupPhase::Running, core::GroupPhase::Failed,
                                     core::GroupPhase::Failed, core::GroupPhase::Restarting};
  for (int i = 0; i < 6; ++i) {
    core::ContainerGroup g = SimpleGroup(GroupId(i), i == 2 ? kOtherAccount : kAccount);
    g.status.phase = phases[i];
    g.deleting = i == 4;  // finished, but still to be torn down
    ASSERT_TRUE(Create(*store_, g).ok());
  }
  StatusOr<std::vector<core::ContainerGroup>> active = store_->ListActiveGroups();
  ASSERT_TRUE(active.ok()) << active.status().ToString();
  EXPECT_EQ(Ids(*active), Expect({0, 2, 4, 5}));
  // A group that finishes leaves the list; one marked for deletion joins it.
  core::ContainerGroup g = *store_->GetGroup(GroupId(0));
  g.status.phase = core::GroupPhase::Succeeded;
  ASSERT_TRUE(store_->UpdateGroup(g, g.revision).ok());
  g = *store_->GetGroup(GroupId(1));
  g.deleting = true;
  ASSERT_TRUE(store_->UpdateGroup(g, g.revision).ok());
  active = store_->ListActiveGroups();
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(Ids(*active), Expect({1, 2, 4, 5}));
}

TEST_P(StoreConformanceTest, ListWithEventsGivesEachGroupItsEvents) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Create(*store_, SimpleGroup(GroupId(i))).ok());
  }
  ASSERT_TRUE(store_->RecordEvent(GroupId(0), core::Event{"Normal", "a", "Pulled", "m", 1, 5, 5})
                  .ok());
  ASSERT_TRUE(store_->RecordEvent(GroupId(2), core::Event{"Normal", "c", "Created", "m", 1, 6, 6})
                  .ok());
  ASSERT_TRUE(store_->RecordEvent(GroupId(2), core::Event{"Normal", "c", "Started", "m", 1, 7, 7})
                  .ok());
  GroupQuery q = Query();
  StatusOr<GroupPage> plain = store_->ListGroups(q);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->events.empty());
  q.with_events = true;
  StatusOr<GroupPage> page = store_->ListGroups(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    StatusOr<std::vector<core::Event>> events = store_->ListEvents(page->groups[i].id);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(page->events[i].size(), events->size());
    for (size_t j = 0; j < events->size(); ++j) {
      EXPECT_EQ(page->events[i][j].reason, (*events)[j].reason);
    }
  }
  EXPECT_EQ(page->events[1].size(), 0u);
  EXPECT_EQ(page->events[2].size(), 2u);
}

TEST_P(StoreConformanceTest, PagingWalksAllGroupsInCreationOrder) {
  std::vector<std::string> created;
  // Ids deliberately not in creation order, so that ordering by id would show.
  for (int i = 0; i < 45; ++i) {
    std::string id = GroupId((i * 17) % 45);
    created.push_back(id);
    ASSERT_TRUE(Create(*store_, SimpleGroup(id)).ok());
  }
  ASSERT_TRUE(Create(*store_, SimpleGroup(GroupId(1000), kOtherAccount)).ok());

  GroupQuery q;
  q.account_id = kAccount;
  q.limit = 20;
  std::vector<std::string> seen;
  std::vector<size_t> sizes;
  std::vector<std::string> tokens;
  for (int round = 0; round < 10; ++round) {
    StatusOr<GroupPage> page = store_->ListGroups(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(page->total_count, 45);
    sizes.push_back(page->groups.size());
    tokens.push_back(page->next_token);
    for (const auto& g : page->groups) {
      seen.push_back(g.id);
    }
    if (page->next_token.empty()) {
      break;
    }
    q.next_token = page->next_token;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{20, 20, 5}));
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_FALSE(tokens[0].empty());
  EXPECT_FALSE(tokens[1].empty());
  EXPECT_NE(tokens[0], tokens[1]);
  EXPECT_TRUE(tokens[2].empty());
  EXPECT_EQ(seen, created);
}

TEST_P(StoreConformanceTest, PagingLimitIsClampedAndTokensValidated) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Create(*store_, SimpleGroup(GroupId(i))).ok());
  }
  GroupQuery q;
  q.account_id = kAccount;
  q.limit = 0;
  StatusOr<GroupPage> page = store_->ListGroups(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->groups.size(), 1u);
  EXPECT_EQ(page->total_count, 3);
  EXPECT_FALSE(page->next_token.empty());

  q.limit = 1000;
  page = store_->ListGroups(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->groups.size(), 3u);
  EXPECT_TRUE(page->next_token.empty());

  q.next_token = "not a token!";
  page = store_->ListGroups(q);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().cls(), StatusClass::kInvalidArgument);
  EXPECT_NE(page.status().message().find("NextToken"), std::string::npos);
}

TEST_P(StoreConformanceTest, EqualEventsMerge) {
  ASSERT_TRUE(Create(*store_, SimpleGroup(GroupId(1))).ok());
  core::Event pulling{"Normal", "container/main", "Pulling", "pulling image", 1, 100, 100};
  core::Event backoff{"Warning", "container/main", "BackOff", "back-off", 1, 200, 200};
  ASSERT_TRUE(store_->RecordEvent(GroupId(1), pulling).ok());
  ASSERT_TRUE(store_->RecordEvent(GroupId(1), backoff).ok());
  core::Event again = backoff;
  again.first_timestamp = 300;
  again.last_timestamp = 300;
  ASSERT_TRUE(store_->RecordEvent(GroupId(1), again).ok());
  // Differs only in the message: a separate event.
  core::Event other = backoff;
  other.message = "back-off 2";
  other.first_timestamp = other.last_timestamp = 250;
  ASSERT_TRUE(store_->RecordEvent(GroupId(1), other).ok());

  StatusOr<std::vector<core::Event>> events = store_->ListEvents(GroupId(1));
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].reason, "Pulling");
  EXPECT_EQ((*events)[0].count, 1);
  EXPECT_EQ((*events)[1].message, "back-off 2");
  const core::Event& merged = (*events)[2];
  EXPECT_EQ(merged.type, "Warning");
  EXPECT_EQ(merged.name, "container/main");
  EXPECT_EQ(merged.reason, "BackOff");
  EXPECT_EQ(merged.message, "back-off");
  EXPECT_EQ(merged.count, 2);
  EXPECT_EQ(merged.first_timestamp, 200);
  EXPECT_EQ(merged.last_timestamp, 300);

  // Events belong to their group.
  ASSERT_TRUE(Create(*store_, SimpleGroup(GroupId(2))).ok());
  StatusOr<std::vector<core::Event>> none = store_->ListEvents(GroupId(2));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreConformanceTest, RecordEventsStoresABatchAsOneByOne) {
  ASSERT_TRUE(Create(*store_, SimpleGroup(GroupId(1))).ok());
  core::Event created{"Normal", "g.main", "Created", "Created container main", 1, 100, 100};
  core::Event started{"Normal", "g.main", "Started", "Started container main", 1, 110, 110};
  core::Event again = created;
  again.first_timestamp = again.last_timestamp = 120;
  ASSERT_TRUE(store_->RecordEvents(GroupId(1), {created, started, again}).ok());
  StatusOr<std::vector<core::Event>> events = store_->ListEvents(GroupId(1));
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].reason, "Started");
  EXPECT_EQ((*events)[1].reason, "Created");
  EXPECT_EQ((*events)[1].count, 2);
  EXPECT_EQ(store_->RecordEvents(GroupId(9), {created}).cls(), StatusClass::kNotFound);
}

TEST_P(StoreConformanceTest, UpdateGroupWithEventsWritesBothOrNeither) {
  core::ContainerGroup g = SimpleGroup(GroupId(1));
  StatusOr<int64_t> r1 = Create(*store_, g);
  ASSERT_TRUE(r1.ok());
  core::Event started{"Normal", "g.main", "Started", "Started container main", 1, 100, 100};
  g.status.phase = core::GroupPhase::Running;
  StatusOr<int64_t> r2 = store_->UpdateGroupWithEvents(g, *r1, {started});
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_GT(*r2, *r1);
  StatusOr<core::ContainerGroup> got = store_->GetGroup(GroupId(1));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status.phase, core::GroupPhase::Running);
  EXPECT_EQ(got->revision, *r2);
  ASSERT_EQ(store_->ListEvents(GroupId(1))->size(), 1u);

  // A stale revision: neither the group nor the events change.
  core::Event killing{"Normal", "g.main", "Killing", "Stopping container main", 1, 200, 200};
  g.status.phase = core::GroupPhase::Failed;
  StatusOr<int64_t> stale = store_->UpdateGroupWithEvents(g, *r1, {killing});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().cls(), StatusClass::kAborted);
  EXPECT_EQ(store_->GetGroup(GroupId(1))->status.phase, core::GroupPhase::Running);
  EXPECT_EQ(store_->ListEvents(GroupId(1))->size(), 1u);
}

TEST_P(StoreConformanceTest, AtMostFiftyEventsKeepingTheNewest) {
  ASSERT_TRUE(Create(*store_, SimpleGroup(GroupId(1))).ok());
  for (int i = 0; i < 60; ++i) {
    core::Event e{"Normal", "pod/x",  "Reason", "message " + std::to_string(i),
                  1,        1000 + i, 1000 + i};
    ASSERT_TRUE(store_->RecordEvent(GroupId(1), e).ok());
  }
  // "message 10" is now the oldest kept; refreshing it makes it the newest, so the next
  // insert trims "message 11" instead.
  core::Event refresh{"Normal", "pod/x", "Reason", "message 10", 1, 5000, 5000};
  ASSERT_TRUE(store_->RecordEvent(GroupId(1), refresh).ok());
  core::Event fresh{"Normal", "pod/x", "Reason", "fresh", 1, 6000, 6000};
  ASSERT_TRUE(store_->RecordEvent(GroupId(1), fresh).ok());

  StatusOr<std::vector<core::Event>> events = store_->ListEvents(GroupId(1));
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 50u);
  EXPECT_EQ(events->front().message, "message 12");
  for (size_t i = 1; i < events->size(); ++i) {
    EXPECT_LE((*events)[i - 1].last_timestamp, (*events)[i].last_timestamp);
  }
  EXPECT_EQ((*events)[48].message, "message 10");
  EXPECT_EQ((*events)[48].count, 2);
  EXPECT_EQ((*events)[48].first_timestamp, 1010);
  EXPECT_EQ(events->back().message, "fresh");
}

TEST_P(StoreConformanceTest, DeleteRemovesEventsAndTokens) {
  ClientTokenRecord token{kAccount, "t", "f", GroupId(1)};
  std::string existing;
  StatusOr<int64_t> r = store_->CreateGroup(SimpleGroup(GroupId(1)), token, &existing);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(store_->RecordEvent(GroupId(1), core::Event{}).ok());
  ASSERT_TRUE(store_->DeleteGroup(GroupId(1), *r).ok());

  // Recreating under the same id and token starts clean.
  StatusOr<int64_t> r2 = store_->CreateGroup(SimpleGroup(GroupId(1)), token, &existing);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(existing, "");
  EXPECT_GT(*r2, *r);
  StatusOr<std::vector<core::Event>> events = store_->ListEvents(GroupId(1));
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());
}

TEST_P(StoreConformanceTest, WatchDeliversChangesInOrderUntilCancelled) {
  Recorder first;
  Recorder second;
  std::unique_ptr<WatchHandle> h1 = store_->Watch(first.Callback());
  std::unique_ptr<WatchHandle> h2 = store_->Watch(second.Callback());

  core::ContainerGroup g = SimpleGroup(GroupId(1));
  StatusOr<int64_t> r1 = Create(*store_, g);
  ASSERT_TRUE(r1.ok());
  StatusOr<int64_t> r2 = store_->UpdateGroup(g, *r1);
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE(store_->UpdateGroup(g, *r1).ok());  // a failed write is not delivered
  ASSERT_TRUE(store_->DeleteGroup(g.id, *r2).ok());
  const int64_t r3 = store_->CurrentRevision();

  ASSERT_TRUE(first.WaitFor(3));
  std::vector<WatchEvent> got = first.Events();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(got[0].group_id, g.id);
  EXPECT_EQ(got[0].revision, *r1);
  EXPECT_EQ(got[1].type, WatchEvent::Type::kPut);
  EXPECT_EQ(got[1].revision, *r2);
  EXPECT_EQ(got[2].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(got[2].group_id, g.id);
  EXPECT_EQ(got[2].revision, r3);

  h1.reset();
  StatusOr<int64_t> r4 = Create(*store_, SimpleGroup(GroupId(2)));
  ASSERT_TRUE(r4.ok());
  // Once the surviving watcher saw the new write, the cancelled one would have too.
  ASSERT_TRUE(second.WaitFor(4));
  EXPECT_EQ(second.Events().back().revision, *r4);
  EXPECT_EQ(first.Events().size(), 3u);
}

TEST_P(StoreConformanceTest, WatchOrderHoldsUnderConcurrentWriters) {
  Recorder rec;
  std::unique_ptr<WatchHandle> h = store_->Watch(rec.Callback());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_TRUE(Create(*store_, SimpleGroup(GroupId(t * 100 + i))).ok());
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  ASSERT_TRUE(rec.WaitFor(kThreads * kPerThread));
  std::vector<WatchEvent> got = rec.Events();
  ASSERT_EQ(got.size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_LT(got[i - 1].revision, got[i].revision);
  }
}

TEST_P(StoreConformanceTest, AccessKeys) {
  core::AccessKey a{"LTAI-a", "secret-a", kAccount, true, 1000};
  core::AccessKey b{"LTAI-b", "secret-b", kOtherAccount, false, 2000};
  ASSERT_TRUE(store_->PutAccessKey(b).ok());
  ASSERT_TRUE(store_->PutAccessKey(a).ok());

  StatusOr<core::AccessKey> got = store_->GetAccessKey("LTAI-b");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id, b.id);
  EXPECT_EQ(got->secret, b.secret);
  EXPECT_EQ(got->account_id, b.account_id);
  EXPECT_EQ(got->enabled, false);
  EXPECT_EQ(got->creation_time, 2000);

  StatusOr<core::AccessKey> missing = store_->GetAccessKey("LTAI-zzz");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().cls(), StatusClass::kNotFound);
  EXPECT_EQ(missing.status().api_code(), "InvalidAccessKeyId.NotFound");

  // Put replaces.
  a.enabled = false;
  a.secret = "rotated";
  ASSERT_TRUE(store_->PutAccessKey(a).ok());
  got = store_->GetAccessKey("LTAI-a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->secret, "rotated");
  EXPECT_FALSE(got->enabled);

  StatusOr<std::vector<core::AccessKey>> all = store_->ListAccessKeys();
  ASSERT_TRUE(all.ok());
  std::set<std::string> ids;
  for (const auto& k : *all) {
    ids.insert(k.id);
  }
  EXPECT_EQ(ids, (std::set<std::string>{"LTAI-a", "LTAI-b"}));
  EXPECT_EQ(all->size(), 2u);
}

TEST_P(StoreConformanceTest, DeleteAccessKeyRemovesOnlyThatKey) {
  ASSERT_TRUE(store_->PutAccessKey({"LTAI-a", "secret-a", kAccount, true, 1000}).ok());
  ASSERT_TRUE(store_->PutAccessKey({"LTAI-b", "secret-b", kAccount, true, 2000}).ok());
  ASSERT_TRUE(store_->DeleteAccessKey("LTAI-a").ok());
  EXPECT_EQ(store_->GetAccessKey("LTAI-a").status().cls(), StatusClass::kNotFound);
  EXPECT_TRUE(store_->GetAccessKey("LTAI-b").ok());
  Status again = store_->DeleteAccessKey("LTAI-a");
  EXPECT_EQ(again.cls(), StatusClass::kNotFound);
  EXPECT_EQ(again.api_code(), "InvalidAccessKeyId.NotFound");
}

TEST_P(StoreConformanceTest, ConcurrentUpdatesWithRetryLoseNoIncrement) {
  core::ContainerGroup g = SimpleGroup(GroupId(1));
  StatusOr<int64_t> r0 = Create(*store_, g);
  ASSERT_TRUE(r0.ok());
  constexpr int kThreads = 4;
  constexpr int kIncrements = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        for (int attempt = 0;; ++attempt) {
          ASSERT_LT(attempt, 10'000);
          StatusOr<core::ContainerGroup> cur = store_->GetGroup(g.id);
          ASSERT_TRUE(cur.ok()) << cur.status().ToString();
          cur->restart_generation += 1;
          StatusOr<int64_t> r = store_->UpdateGroup(*cur, cur->revision);
          if (r.ok()) {
            break;
          }
          ASSERT_EQ(r.status().cls(), StatusClass::kAborted) << r.status().ToString();
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  StatusOr<core::ContainerGroup> final_group = store_->GetGroup(g.id);
  ASSERT_TRUE(final_group.ok());
  EXPECT_EQ(final_group->restart_generation, kThreads * kIncrements);
  EXPECT_EQ(final_group->revision, store_->CurrentRevision());
}

// --- Image caches ------------------------------------------------------------------------

namespace {
core::ImageCache SimpleCache(const std::string& id, const std::string& account = kAccount,
                             const std::string& name = "cache") {
  core::ImageCache c;
  c.id = id;
  c.account_id = account;
  c.name = name;
  c.images = {"busybox:1.36", "alpine:3"};
  c.credentials = {{"registry.example.com", "u", "p"}};
  c.size_gib = 15;
  c.retention_days = 7;
  c.container_group_id = "eci-job";
  c.creation_time = 1000;
  return c;
}
}  // namespace

TEST_P(StoreConformanceTest, ImageCacheRoundTripAndCompareAndSwap) {
  core::ImageCache c = SimpleCache("imc-1");
  StatusOr<int64_t> rev = store_->CreateImageCache(c, std::nullopt, 0, nullptr);
  ASSERT_TRUE(rev.ok()) << rev.status().ToString();
  StatusOr<core::ImageCache> got = store_->GetImageCache("imc-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->images, c.images);
  EXPECT_EQ(got->credentials.size(), 1u);
  EXPECT_EQ(got->size_gib, 15);
  EXPECT_EQ(got->revision, *rev);
  c = *got;
  c.status = core::ImageCacheStatus::Ready;
  c.snapshot_id = "s-1";
  core::Event e;
  e.reason = "Pulled";
  c.events.push_back(e);
  StatusOr<int64_t> rev2 = store_->UpdateImageCache(c, c.revision);
  ASSERT_TRUE(rev2.ok());
  EXPECT_GT(*rev2, *rev);
  EXPECT_EQ(store_->UpdateImageCache(c, c.revision).status().cls(), StatusClass::kAborted);
  got = store_->GetImageCache("imc-1");
  EXPECT_EQ(got->status, core::ImageCacheStatus::Ready);
  ASSERT_EQ(got->events.size(), 1u);
  EXPECT_EQ(got->events[0].reason, "Pulled");
  EXPECT_EQ(store_->DeleteImageCache("imc-1", *rev).cls(), StatusClass::kAborted);
  EXPECT_TRUE(store_->DeleteImageCache("imc-1", *rev2).ok());
  EXPECT_EQ(store_->GetImageCache("imc-1").status().cls(), StatusClass::kNotFound);
}

TEST_P(StoreConformanceTest, ImageCacheQuotaTokensFiltersAndPaging) {
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(store_->CreateImageCache(SimpleCache("imc-" + std::to_string(i), kAccount,
                                                     i == 2 ? "two" : "cache"),
                                         std::nullopt, 3, nullptr)
                    .ok());
  }
  StatusOr<int64_t> over = store_->CreateImageCache(SimpleCache("imc-4"), std::nullopt, 3, nullptr);
  EXPECT_EQ(over.status().api_code(), "QuotaExceeded");
  EXPECT_EQ(*store_->CountImageCaches(kAccount), 3);
  ClientTokenRecord token{"other", "tok", "fp", ""};
  std::string existing;
  ASSERT_TRUE(store_->CreateImageCache(SimpleCache("imc-9", "other"), token, 3, &existing).ok());
  EXPECT_TRUE(existing.empty());
  ASSERT_TRUE(store_->CreateImageCache(SimpleCache("imc-10", "other"), token, 3, &existing).ok());
  EXPECT_EQ(existing, "imc-9");

  ImageCacheQuery q;
  q.account_id = kAccount;
  q.limit = 2;
  StatusOr<ImageCachePage> page = store_->ListImageCaches(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total_count, 3);
  ASSERT_EQ(page->caches.size(), 2u);
  EXPECT_EQ(page->caches[0].id, "imc-1");
  ASSERT_FALSE(page->next_token.empty());
  q.next_token = page->next_token;
  page = store_->ListImageCaches(q);
  ASSERT_EQ(page->caches.size(), 1u);
  EXPECT_EQ(page->caches[0].id, "imc-3");
  EXPECT_TRUE(page->next_token.empty());
  q = {};
  q.account_id = kAccount;
  q.name = "two";
  EXPECT_EQ(store_->ListImageCaches(q)->total_count, 1);
  q.name.clear();
  q.image = "alpine:3";
  EXPECT_EQ(store_->ListImageCaches(q)->total_count, 3);
  q.image = "nginx";
  EXPECT_EQ(store_->ListImageCaches(q)->total_count, 0);
  EXPECT_EQ(store_->ListAllImageCaches()->size(), 4u);
}

}  // namespace openeci::store::testing
