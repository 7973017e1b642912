#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "store/store_conformance.h"

namespace openeci::store {
namespace {

// A directory for the test's databases, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sqlite_store_XXXXXX").string();
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TempDir& ConformanceDir() {
  static TempDir* dir = new TempDir();  // lives until exit; removed by the environment below
  return *dir;
}

class RemoveConformanceDir : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(ConformanceDir().path(), ec);
  }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new RemoveConformanceDir);

std::unique_ptr<Store> NewSqliteStore() {
  static std::atomic<int> counter{0};
  std::string path = ConformanceDir().path() + "/store-" + std::to_string(counter++) + ".db";
  StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

using testing::StoreConformanceTest;
INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(testing::StoreFactory(NewSqliteStore)));

// --- SQLite-specific ---------------------------------------------------------------------------

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> Open() {
    StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Runs `sql` on a connection of its own, as an older binary or an operator would.
  void RawExec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  // The first column of the first row of `sql`, as text; "" when there is no row.
  std::string RawQuery(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    std::string v;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
  }

  TempDir dir_;
  std::string path_ = dir_.path() + "/openeci.db";
};

TEST_F(SqliteStoreTest, DataSurvivesCloseAndReopen) {
  core::ContainerGroup g = testing::FullyPopulatedGroup("eci-00000000000000000001", "acct");
  int64_t revision = 0;
  {
    std::unique_ptr<SqliteStore> store = Open();
    ASSERT_NE(store, nullptr);
    std::string existing;
    StatusOr<int64_t> r =
        store->CreateGroup(g, ClientTokenRecord{"acct", "tok", "fp", g.id}, &existing);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    revision = *r;
    ASSERT_TRUE(
        store->RecordEvent(g.id, core::Event{"Normal", "pod/x", "Created", "m", 1, 5, 6}).ok());
    ASSERT_TRUE(store->PutAccessKey(core::AccessKey{"LTAI", "s", "acct", true, 7}).ok());
  }
  std::unique_ptr<SqliteStore> store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->CurrentRevision(), revision);
  StatusOr<core::ContainerGroup> got = store->GetGroup(g.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(testing::DescribeGroup(*got), testing::DescribeGroup(g));
  EXPECT_EQ(got->revision, revision);
  StatusOr<std::vector<core::Event>> events = store->ListEvents(g.id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].reason, "Created");
  EXPECT_TRUE(store->GetAccessKey("LTAI").ok());
  std::string existing;
  StatusOr<int64_t> retry =
      store->CreateGroup(testing::FullyPopulatedGroup("eci-2", "acct"),
                         ClientTokenRecord{"acct", "tok", "fp", "eci-2"}, &existing);
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(existing, g.id);
  // The counter continues where it stopped.
  got->restart_generation++;
  StatusOr<int64_t> next = store->UpdateGroup(*got, revision);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, revision + 1);
}

TEST_F(SqliteStoreTest, RecordWithoutNewerFieldsDecodesWithDefaults) {
  {
    std::unique_ptr<SqliteStore> store = Open();
    ASSERT_NE(store, nullptr);
    std::string existing;
    ASSERT_TRUE(
        store->CreateGroup(testing::FullyPopulatedGroup("eci-1", "acct"), std::nullopt, &existing)
            .ok());
  }
  // As an older binary would have written them: fields missing, and one since removed.
  RawExec(R"sql(UPDATE groups SET
      spec_json = '{"name":"old","cpu":2,"containers":[{"name":"c","image":"busybox"}]}',
      status_json = '{"phase":"Running","removed_field":true,
                      "containers":[{"name":"c","current":{"state":"Running"}}]}')sql");
  std::unique_ptr<SqliteStore> store = Open();
  ASSERT_NE(store, nullptr);
  StatusOr<core::ContainerGroup> got = store->GetGroup("eci-1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->spec.name, "old");
  EXPECT_EQ(got->spec.cpu, 2.0);
  EXPECT_EQ(got->spec.restart_policy, core::RestartPolicy::Always);
  EXPECT_TRUE(got->spec.tags.empty());
  ASSERT_EQ(got->spec.containers.size(), 1u);
  EXPECT_EQ(got->spec.containers[0].image, "busybox");
  EXPECT_EQ(got->spec.containers[0].pull_policy, core::PullPolicy::IfNotPresent);
  EXPECT_TRUE(got->spec.containers[0].ports.empty());
  EXPECT_EQ(got->status.phase, core::GroupPhase::Running);
  ASSERT_EQ(got->status.containers.size(), 1u);
  EXPECT_EQ(got->status.containers[0].current.state, "Running");
  EXPECT_FALSE(got->status.containers[0].current.exit_code.has_value());
  EXPECT_EQ(got->status.containers[0].restart_count, 0);
}

TEST_F(SqliteStoreTest, CorruptRecordIsInternalError) {
  {
    std::unique_ptr<SqliteStore> store = Open();
    ASSERT_NE(store, nullptr);
    std::string existing;
    ASSERT_TRUE(
        store->CreateGroup(testing::FullyPopulatedGroup("eci-1", "acct"), std::nullopt, &existing)
            .ok());
  }
  RawExec("UPDATE groups SET spec_json = '{\"cpu\": \"lots\"}'");
  std::unique_ptr<SqliteStore> store = Open();
  ASSERT_NE(store, nullptr);
  StatusOr<core::ContainerGroup> got = store->GetGroup("eci-1");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().cls(), StatusClass::kInternal);
}

TEST_F(SqliteStoreTest, MigrationsAreIdempotentOnReopen) {
  {
    std::unique_ptr<SqliteStore> store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutAccessKey(core::AccessKey{"LTAI", "s", "acct", true, 7}).ok());
  }
  const std::string version = RawQuery("PRAGMA user_version");
  EXPECT_EQ(version, "3");  // 2: image caches, 3: group_counts and groups_active
  for (int i = 0; i < 3; ++i) {
    std::unique_ptr<SqliteStore> store = Open();
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(store->GetAccessKey("LTAI").ok());
  }
  EXPECT_EQ(RawQuery("PRAGMA user_version"), version);
  EXPECT_EQ(RawQuery("SELECT COUNT(*) FROM meta"), "2");  // revision, image_cache_seq
  EXPECT_EQ(RawQuery("SELECT COUNT(*) FROM access_keys"), "1");
  EXPECT_EQ(RawQuery("PRAGMA journal_mode"), "wal");  // WAL is persistent
}

// The unfiltered TotalCount comes from group_counts (kept by triggers), the filtered one from
// COUNT(*) over the rows: both must agree through creates, updates, marking and deleting.
TEST_F(SqliteStoreTest, UnfilteredTotalCountFollowsEveryGroupWrite) {
  std::unique_ptr<SqliteStore> store = Open();
  ASSERT_NE(store, nullptr);
  auto make = [](int i, const std::string& account, const std::string& region) {
    core::ContainerGroup g = testing::FullyPopulatedGroup(
        "eci-" + std::string(19, '0') + std::to_string(i), account);
    g.deleting = false;
    g.spec.region_id = region;
    return g;
  };
  auto count = [&](const std::string& account, const std::string& region) {
    GroupQuery q;
    q.account_id = account;
    q.region_id = region;
    StatusOr<GroupPage> page = store->ListGroups(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    GroupQuery by_zone = q;  // a filter every group matches: counted over the rows
    by_zone.zone_id = "cn-beijing-k";
    StatusOr<GroupPage> scanned = store->ListGroups(by_zone);
    EXPECT_TRUE(scanned.ok());
    EXPECT_EQ(page->total_count, scanned->total_count);
    return page.ok() ? page->total_count : -1;
  };
  std::string existing;
  ASSERT_TRUE(store->CreateGroup(make(1, "a", "r1"), std::nullopt, &existing).ok());
  ASSERT_TRUE(store->CreateGroup(make(2, "a", "r1"), std::nullopt, &existing).ok());
  ASSERT_TRUE(store->CreateGroup(make(3, "a", "r2"), std::nullopt, &existing).ok());
  ASSERT_TRUE(store->CreateGroup(make(4, "b", "r1"), std::nullopt, &existing).ok());
  EXPECT_EQ(count("a", ""), 3);
  EXPECT_EQ(count("a", "r1"), 2);
  EXPECT_EQ(count("b", ""), 1);

  StatusOr<core::ContainerGroup> g1 = store->GetGroup(make(1, "a", "r1").id);
  ASSERT_TRUE(g1.ok());
  g1->status.phase = core::GroupPhase::Running;  // an update that is not a delete
  StatusOr<int64_t> rev = store->UpdateGroup(*g1, g1->revision);
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(count("a", "r1"), 2);
  g1->deleting = true;
  rev = store->UpdateGroup(*g1, *rev);
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(count("a", "r1"), 1);
  ASSERT_TRUE(store->DeleteGroup(g1->id, *rev).ok());  // a deleting group was not counted
  EXPECT_EQ(count("a", "r1"), 1);
  StatusOr<core::ContainerGroup> g3 = store->GetGroup(make(3, "a", "r2").id);
  ASSERT_TRUE(g3.ok());
  ASSERT_TRUE(store->DeleteGroup(g3->id, g3->revision).ok());
  EXPECT_EQ(count("a", ""), 1);
  EXPECT_EQ(count("a", "r2"), 0);
  EXPECT_EQ(count("c", ""), 0);
}

// A database from before group_counts (schema version 2) gets the counts of its groups.
TEST_F(SqliteStoreTest, MigrationCountsTheGroupsAlreadyStored) {
  {
    std::unique_ptr<SqliteStore> store = Open();
    ASSERT_NE(store, nullptr);
    std::string existing;
    for (int i = 0; i < 3; ++i) {
      core::ContainerGroup g =
          testing::FullyPopulatedGroup("eci-" + std::string(19, '0') + std::to_string(i), "a");
      g.deleting = i == 2;
      ASSERT_TRUE(store->CreateGroup(g, std::nullopt, &existing).ok());
    }
  }
  RawExec(R"sql(DROP TRIGGER groups_count_insert; DROP TRIGGER groups_count_delete;
                DROP TRIGGER groups_count_update; DROP TABLE group_counts;
                DROP INDEX groups_active; PRAGMA user_version = 2;)sql");
  std::unique_ptr<SqliteStore> store = Open();
  ASSERT_NE(store, nullptr);
  GroupQuery q;
  q.account_id = "a";
  StatusOr<GroupPage> page = store->ListGroups(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total_count, 2);
}

TEST_F(SqliteStoreTest, SeedGroupsStoresGroupsWithEventsAndRevisions) {
  std::unique_ptr<SqliteStore> store = Open();
  ASSERT_NE(store, nullptr);
  std::vector<SqliteStore::SeedGroup> seeds;
  for (int i = 0; i < 3; ++i) {
    SqliteStore::SeedGroup s;
    s.group = testing::FullyPopulatedGroup("eci-" + std::string(19, '0') + std::to_string(i), "a");
    s.group.deleting = false;
    s.events = {core::Event{"Normal", s.group.id, "Started", "m", 1, 5, 6}};
    seeds.push_back(s);
  }
  ASSERT_TRUE(store->SeedGroups(seeds).ok());
  EXPECT_EQ(store->CurrentRevision(), 3);
  GroupQuery q;
  q.account_id = "a";
  StatusOr<GroupPage> page = store->ListGroups(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total_count, 3);
  ASSERT_EQ(page->groups.size(), 3u);
  EXPECT_EQ(page->groups[0].id, seeds[0].group.id);
  EXPECT_EQ(page->groups[2].revision, 3);
  StatusOr<std::vector<core::Event>> events = store->ListEvents(seeds[1].group.id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].reason, "Started");
}

TEST_F(SqliteStoreTest, RefusesSchemaNewerThanItself) {
  { ASSERT_NE(Open(), nullptr); }
  RawExec("PRAGMA user_version = 999");
  StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().cls(), StatusClass::kInternal);
}

TEST_F(SqliteStoreTest, OpenFailsForUnwritablePath) {
  StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(dir_.path() + "/no/such/dir/openeci.db");
  EXPECT_FALSE(store.ok());
}

TEST_F(SqliteStoreTest, WatchHandleMayOutliveTheStore) {
  std::unique_ptr<SqliteStore> store = Open();
  ASSERT_NE(store, nullptr);
  std::unique_ptr<WatchHandle> handle = store->Watch([](const WatchEvent&) {});
  store.reset();
  handle.reset();
}

}  // namespace
}  // namespace openeci::store
