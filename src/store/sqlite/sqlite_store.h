// SqliteStore: the Store on one SQLite database file.
//
// Thread-safe. One connection serves every caller, guarded by a mutex: SQLite serialises
// writers anyway, and one connection keeps transactions, the revision counter and the cache
// of prepared statements simple and obviously correct. Watch callbacks run on the writing
// thread after the write has committed and the database mutex has been released; a second
// mutex, taken before the first is released, keeps them in revision order.
//
// Schema versions are PRAGMA user_version; Open applies the missing migrations (kMigrations in
// sqlite_store.cc, append-only) in one transaction, so reopening is a no-op.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace openeci::store {

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database at `path` and brings its schema up to date.
  static StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path);

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  ~SqliteStore() override;

  // A group to seed and its events (oldest first).
  struct SeedGroup {
    core::ContainerGroup group;
    std::vector<core::Event> events;
  };
  // Inserts new groups (ids must be new) and their events in one transaction, each group with
  // its own revision, without client tokens and without telling watchers. For offline tools
  // that fill a database before a server opens it (bench/seed); not part of Store.
  Status SeedGroups(const std::vector<SeedGroup>& groups);

  // Store
  Status PutAccessKey(const core::AccessKey& key) override;
  StatusOr<core::AccessKey> GetAccessKey(const std::string& key_id) override;
  StatusOr<std::vector<core::AccessKey>> ListAccessKeys() override;
  Status DeleteAccessKey(const std::string& key_id) override;
  StatusOr<int64_t> CreateGroup(const core::ContainerGroup& group,
                                const std::optional<ClientTokenRecord>& token,
                                std::string* existing_id) override;
  StatusOr<core::ContainerGroup> GetGroup(const std::string& id) override;
  StatusOr<int64_t> UpdateGroup(const core::ContainerGroup& group,
                                int64_t expected_revision) override;
  Status DeleteGroup(const std::string& id, int64_t expected_revision) override;
  StatusOr<std::optional<std::string>> FindClientToken(const ClientTokenRecord& token) override;
  StatusOr<int64_t> UpdateGroupWithToken(const core::ContainerGroup& group,
                                         int64_t expected_revision, const ClientTokenRecord& token,
                                         bool* replayed) override;
  StatusOr<GroupPage> ListGroups(const GroupQuery& query) override;
  StatusOr<std::vector<core::ContainerGroup>> ListAllGroups() override;
  StatusOr<std::vector<core::ContainerGroup>> ListActiveGroups() override;
  StatusOr<int64_t> CountGroups(const std::string& account_id) override;
  StatusOr<int64_t> CreateImageCache(const core::ImageCache& cache,
                                     const std::optional<ClientTokenRecord>& token,
                                     int64_t max_per_account, std::string* existing_id) override;
  StatusOr<core::ImageCache> GetImageCache(const std::string& id) override;
  StatusOr<int64_t> UpdateImageCache(const core::ImageCache& cache,
                                     int64_t expected_revision) override;
  Status DeleteImageCache(const std::string& id, int64_t expected_revision) override;
  StatusOr<ImageCachePage> ListImageCaches(const ImageCacheQuery& query) override;
  StatusOr<std::vector<core::ImageCache>> ListAllImageCaches() override;
  StatusOr<int64_t> CountImageCaches(const std::string& account_id) override;
  Status RecordEvent(const std::string& group_id, const core::Event& event) override;
  Status RecordEvents(const std::string& group_id,
                      const std::vector<core::Event>& events) override;
  StatusOr<int64_t> UpdateGroupWithEvents(const core::ContainerGroup& group,
                                          int64_t expected_revision,
                                          const std::vector<core::Event>& events) override;
  StatusOr<std::vector<core::Event>> ListEvents(const std::string& group_id) override;
  std::unique_ptr<WatchHandle> Watch(std::function<void(const WatchEvent&)> fn) override;
  int64_t CurrentRevision() override;

 private:
  class Stmt;  // a prepared statement in use; defined in sqlite_store.cc
  // Watchers live apart from the store so that a WatchHandle may outlive it.
  struct WatchHub {
    std::mutex mu;  // guards `watchers` and serialises deliveries
    uint64_t next_id = 0;
    std::map<uint64_t, std::function<void(const WatchEvent&)>> watchers;
  };
  class WatchHandleImpl;

  explicit SqliteStore(sqlite3* db);

  Status Configure(const std::string& path);
  Status Migrate();
  Status Exec(const char* sql);
  StatusOr<Stmt> Prepare(const std::string& sql, bool cache = true);

  // The helpers below require mu_.
  StatusOr<int64_t> BumpRevision();
  // Inserts or replaces the group's row and tags, stamped with `revision`.
  Status PutGroupRow(const core::ContainerGroup& group, int64_t revision);
  StatusOr<int64_t> StoredRevision(const std::string& id);  // -1 when absent
  // Writes `group` if its stored revision is `expected_revision`; its new revision. Requires mu_.
  // Stores (or merges) one event of an existing group; inside a Write.
  Status PutEventLocked(const std::string& group_id, const core::Event& event);
  StatusOr<int64_t> CompareAndPutGroup(const core::ContainerGroup& group,
                                       int64_t expected_revision);
  // The resource an earlier request with `token` created (same fingerprint), nothing when the
  // token is new, IdempotentParameterMismatch when the fingerprints differ. Requires mu_.
  StatusOr<std::optional<std::string>> EarlierTokenResource(const ClientTokenRecord& token);
  // Records `token` as having created `resource_id`. Requires mu_.
  Status RememberToken(const ClientTokenRecord& token, const std::string& resource_id,
                       int64_t created_at);
  StatusOr<core::ContainerGroup> ReadGroup(Stmt& stmt);
  // A group row as stored (kGroupColumns), to be decoded by DecodeGroup after mu_ is released.
  struct GroupRow;
  static GroupRow ReadGroupRow(Stmt& stmt);
  static StatusOr<core::ContainerGroup> DecodeGroup(GroupRow row);
  // ListEvents under mu_.
  StatusOr<std::vector<core::Event>> ListEventsLocked(const std::string& group_id);
  // Every group `where` (a fixed SQL condition) selects, in creation order. Takes mu_.
  StatusOr<std::vector<core::ContainerGroup>> ReadGroupsWhere(const char* where);
  // Inserts one event row (no merging, no trimming). Requires mu_.
  Status InsertEventRow(const std::string& group_id, const core::Event& event);
  StatusOr<int64_t> StoredCacheRevision(const std::string& id);  // -1 when absent
  StatusOr<int64_t> CountImageCachesLocked(const std::string& account_id);
  // Inserts (seq > 0) or updates (seq == 0) the cache's row with `revision`.
  Status PutCacheRow(const core::ImageCache& cache, int64_t revision, int64_t seq);

  // Runs `body` under mu_ in one write transaction and commits it. When `body` reports a group
  // change, delivers it to the watchers after the commit, outside mu_ but under hub_->mu, which
  // is taken before mu_ is released so that deliveries keep revision order.
  Status Write(const std::function<StatusOr<std::optional<WatchEvent>>()>& body);

  std::mutex mu_;
  sqlite3* const db_;                                // guarded by mu_
  std::map<std::string, sqlite3_stmt*> statements_;  // guarded by mu_
  std::atomic<int64_t> revision_{0};                 // mirrors meta.revision once committed
  std::shared_ptr<WatchHub> hub_ = std::make_shared<WatchHub>();
};

}  // namespace openeci::store
