#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <boost/describe/enum_to_string.hpp>
#include <cinttypes>
#include <cstdio>
#include <iterator>
#include <utility>

#include "store/codec.h"

namespace openeci::store {
namespace {

// Append-only: migration i brings user_version from i to i + 1. Never edit a shipped entry.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('revision', 0);

CREATE TABLE access_keys (
  id            TEXT PRIMARY KEY,
  secret        TEXT NOT NULL,
  account_id    TEXT NOT NULL,
  enabled       INTEGER NOT NULL,
  creation_time INTEGER NOT NULL
);

-- seq is the revision of the group's creation: unique, never reused, in insertion order.
CREATE TABLE groups (
  id                 TEXT PRIMARY KEY,
  seq                INTEGER NOT NULL UNIQUE,
  account_id         TEXT NOT NULL,
  name               TEXT NOT NULL,
  region_id          TEXT NOT NULL,
  zone_id            TEXT NOT NULL,
  vswitch_id         TEXT NOT NULL,
  resource_group_id  TEXT NOT NULL,
  phase              TEXT NOT NULL,
  deleting           INTEGER NOT NULL,
  creation_time      INTEGER NOT NULL,
  revision           INTEGER NOT NULL,
  restart_generation INTEGER NOT NULL,
  spec_json          TEXT NOT NULL,
  status_json        TEXT NOT NULL
);
CREATE INDEX groups_account_seq ON groups (account_id, seq);
CREATE INDEX groups_name ON groups (name);

CREATE TABLE group_tags (
  group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  key      TEXT NOT NULL,
  value    TEXT NOT NULL
);
CREATE INDEX group_tags_group ON group_tags (group_id);
CREATE INDEX group_tags_key_value ON group_tags (key, value);

CREATE TABLE events (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  type     TEXT NOT NULL,
  name     TEXT NOT NULL,
  reason   TEXT NOT NULL,
  message  TEXT NOT NULL,
  count    INTEGER NOT NULL,
  first_ts INTEGER NOT NULL,
  last_ts  INTEGER NOT NULL
);
CREATE INDEX events_group_last_ts ON events (group_id, last_ts);

CREATE TABLE client_tokens (
  account_id  TEXT NOT NULL,
  token       TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (account_id, token)
);
CREATE INDEX client_tokens_resource ON client_tokens (resource_id);
)sql",
    // 1 -> 2: image caches. The record is one JSON document (events included); the columns
    // beside it are what queries filter on. seq comes from meta.image_cache_seq: never reused.
    R"sql(
INSERT INTO meta (key, value) VALUES ('image_cache_seq', 0);
CREATE TABLE image_caches (
  id          TEXT PRIMARY KEY,
  seq         INTEGER NOT NULL UNIQUE,
  account_id  TEXT NOT NULL,
  name        TEXT NOT NULL,
  snapshot_id TEXT NOT NULL,
  deleting    INTEGER NOT NULL,
  revision    INTEGER NOT NULL,
  cache_json  TEXT NOT NULL
);
CREATE INDEX image_caches_account_seq ON image_caches (account_id, seq);
)sql",
    // 2 -> 3: reads that stay cheap however many groups are stored. group_counts: how many
    // groups (not being deleted) each account holds per region, kept exact by triggers in the
    // writing transaction, so that the TotalCount of an unfiltered DescribeContainerGroups is one
    // lookup instead of a scan of every stored group. groups_active: see ListActiveGroups.
    R"sql(
CREATE TABLE group_counts (
  account_id TEXT NOT NULL,
  region_id  TEXT NOT NULL,
  visible    INTEGER NOT NULL,
  PRIMARY KEY (account_id, region_id)
);
INSERT INTO group_counts (account_id, region_id, visible)
  SELECT account_id, region_id, COUNT(*) FROM groups WHERE deleting = 0
  GROUP BY account_id, region_id;
CREATE TRIGGER groups_count_insert AFTER INSERT ON groups WHEN NEW.deleting = 0 BEGIN
  INSERT INTO group_counts (account_id, region_id, visible)
    VALUES (NEW.account_id, NEW.region_id, 1)
    ON CONFLICT (account_id, region_id) DO UPDATE SET visible = visible + 1;
END;
CREATE TRIGGER groups_count_delete AFTER DELETE ON groups WHEN OLD.deleting = 0 BEGIN
  UPDATE group_counts SET visible = visible - 1
    WHERE account_id = OLD.account_id AND region_id = OLD.region_id;
END;
CREATE TRIGGER groups_count_update AFTER UPDATE OF account_id, region_id, deleting ON groups BEGIN
  UPDATE group_counts SET visible = visible - 1
    WHERE OLD.deleting = 0 AND account_id = OLD.account_id AND region_id = OLD.region_id;
  INSERT INTO group_counts (account_id, region_id, visible)
    SELECT NEW.account_id, NEW.region_id, 1 WHERE NEW.deleting = 0
    ON CONFLICT (account_id, region_id) DO UPDATE SET visible = visible + 1;
END;
-- The groups admission and the controller still work on (ListActiveGroups): finished ones
-- only wait for retention, and there may be very many of them.
CREATE INDEX groups_active ON groups (seq)
  WHERE deleting = 1 OR phase NOT IN ('Succeeded', 'Failed');
)sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

constexpr int kMaxEventsPerGroup = 50;
constexpr int kMaxPageSize = 100;
constexpr int kBusyTimeoutMs = 5000;

// The groups ListActiveGroups returns; also the condition of the partial index groups_active.
constexpr const char* kActiveGroups = "deleting = 1 OR phase NOT IN ('Succeeded', 'Failed')";

constexpr const char* kGroupColumns =
    "id, account_id, creation_time, restart_generation, deleting, revision, spec_json, "
    "status_json";

std::string PhaseName(core::GroupPhase phase) {
  const char* name = boost::describe::enum_to_string(phase, nullptr);
  return name == nullptr ? std::string() : std::string(name);
}

// Page tokens are the seq of the last group returned, as 16 lowercase hex digits.
std::string EncodePageToken(int64_t seq) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, static_cast<uint64_t>(seq));
  return buf;
}

std::optional<int64_t> DecodePageToken(const std::string& token) {
  if (token.size() != 16) {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (char c : token) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint64_t>(digit);
  }
  if (v > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(v);
}

Status GroupNotFound(const std::string& id) {
  return Status(StatusClass::kNotFound, "InvalidParameter.NotFound",
                "The container group " + id + " does not exist.");
}

// Rolls back the transaction it began unless Commit succeeded. Requires the store's mutex for
// its whole life.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (open_) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }

  // IMMEDIATE takes the write lock up front, so a transaction never fails half way with BUSY
  // because another process wrote first.
  Status Begin() {
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return InternalError(std::string("sqlite: begin: ") + sqlite3_errmsg(db_));
    }
    open_ = true;
    return Status::Ok();
  }

  Status Commit() {
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return InternalError(std::string("sqlite: commit: ") + sqlite3_errmsg(db_));
    }
    open_ = false;
    return Status::Ok();
  }

 private:
  sqlite3* const db_;
  bool open_ = false;
};

}  // namespace

// A prepared statement in use: binds by position (1-based), steps, reads columns (0-based).
// A cached statement is reset and unbound when this goes away; an uncached one is finalised.
// Only used under the store's mutex.
class SqliteStore::Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* stmt, bool owned) : db_(db), stmt_(stmt), owned_(owned) {}
  Stmt(Stmt&& other) noexcept
      : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), owned_(other.owned_) {}
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt() {
    if (stmt_ == nullptr) {
      return;
    }
    if (owned_) {
      sqlite3_finalize(stmt_);
    } else {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }

  Stmt& Bind(int index, const std::string& v) {
    sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int index, int64_t v) {
    sqlite3_bind_int64(stmt_, index, v);
    return *this;
  }

  // True when a row is available, false when done.
  StatusOr<bool> Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
      return true;
    }
    if (rc == SQLITE_DONE) {
      return false;
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      return UnavailableError(std::string("sqlite: database busy: ") + sqlite3_errmsg(db_));
    }
    return InternalError(std::string("sqlite: ") + sqlite3_errmsg(db_) + " in " +
                         sqlite3_sql(stmt_));
  }

  // Steps a statement that returns no rows.
  Status Run() {
    StatusOr<bool> row = Step();
    return row.status();
  }

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool owned_;
};

// Unregisters its watcher. Waits for a delivery in flight (hub->mu), so once the destructor has
// returned the callback is never called again.
class SqliteStore::WatchHandleImpl final : public WatchHandle {
 public:
  WatchHandleImpl(std::shared_ptr<WatchHub> hub, uint64_t id) : hub_(std::move(hub)), id_(id) {}
  ~WatchHandleImpl() override {
    std::lock_guard<std::mutex> lock(hub_->mu);
    hub_->watchers.erase(id_);
  }

 private:
  std::shared_ptr<WatchHub> hub_;
  uint64_t id_;
};

SqliteStore::SqliteStore(sqlite3* db) : db_(db) {}

SqliteStore::~SqliteStore() {
  for (auto& [sql, stmt] : statements_) {
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db_);
}

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return UnavailableError("cannot open database " + path + ": " + msg);
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  std::lock_guard<std::mutex> lock(store->mu_);
  RETURN_IF_ERROR(store->Configure(path));
  RETURN_IF_ERROR(store->Migrate());
  ASSIGN_OR_RETURN(Stmt stmt, store->Prepare("SELECT value FROM meta WHERE key = 'revision'"));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return InternalError("database " + path + " has no revision counter");
  }
  store->revision_.store(stmt.Int(0));
  return store;
}

Status SqliteStore::Configure(const std::string& path) {
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  ASSIGN_OR_RETURN(Stmt mode, Prepare("PRAGMA journal_mode = WAL", /*cache=*/false));
  ASSIGN_OR_RETURN(bool row, mode.Step());
  std::string journal = row ? mode.Text(0) : std::string();
  if (journal != "wal" && path != ":memory:" && !path.empty()) {
    return InternalError("database " + path + " refused WAL mode (journal_mode=" + journal + ")");
  }
  // FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power failure, and the
  // store promises that a write reported (and watched) is durable. Group writes are rare
  // compared with the cost of an fsync per commit.
  RETURN_IF_ERROR(Exec("PRAGMA synchronous = FULL"));
  RETURN_IF_ERROR(Exec("PRAGMA foreign_keys = ON"));
  return Status::Ok();
}

Status SqliteStore::Migrate() {
  Transaction txn(db_);
  RETURN_IF_ERROR(txn.Begin());
  // Read inside the transaction: another process may have migrated since we opened.
  ASSIGN_OR_RETURN(Stmt version_stmt, Prepare("PRAGMA user_version", /*cache=*/false));
  ASSIGN_OR_RETURN(bool row, version_stmt.Step());
  int version = row ? static_cast<int>(version_stmt.Int(0)) : 0;
  if (version > kSchemaVersion) {
    return InternalError("database schema version " + std::to_string(version) +
                         " is newer than this binary's " + std::to_string(kSchemaVersion));
  }
  for (int i = version; i < kSchemaVersion; ++i) {
    RETURN_IF_ERROR(Exec(kMigrations[i]));
  }
  if (version != kSchemaVersion) {
    RETURN_IF_ERROR(Exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str()));
  }
  return txn.Commit();
}

Status SqliteStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return InternalError("sqlite: " + msg);
  }
  return Status::Ok();
}

StatusOr<SqliteStore::Stmt> SqliteStore::Prepare(const std::string& sql, bool cache) {
  if (cache) {
    if (auto it = statements_.find(sql); it != statements_.end()) {
      return Stmt(db_, it->second, /*owned=*/false);
    }
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return InternalError(std::string("sqlite: prepare: ") + sqlite3_errmsg(db_) + " in " + sql);
  }
  if (cache) {
    statements_.emplace(sql, stmt);
  }
  return Stmt(db_, stmt, /*owned=*/!cache);
}

Status SqliteStore::Write(const std::function<StatusOr<std::optional<WatchEvent>>()>& body) {
  std::unique_lock<std::mutex> hub_lock(hub_->mu, std::defer_lock);
  std::optional<WatchEvent> event;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Transaction txn(db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(event, body());
    RETURN_IF_ERROR(txn.Commit());
    if (event.has_value()) {
      revision_.store(event->revision);
      hub_lock.lock();
    }
  }
  if (event.has_value()) {
    for (const auto& [id, fn] : hub_->watchers) {
      fn(*event);
    }
  }
  return Status::Ok();
}

StatusOr<int64_t> SqliteStore::BumpRevision() {
  ASSIGN_OR_RETURN(Stmt stmt, Prepare("UPDATE meta SET value = value + 1 WHERE key = 'revision' "
                                      "RETURNING value"));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return InternalError("the revision counter is missing");
  }
  return stmt.Int(0);
}

StatusOr<int64_t> SqliteStore::StoredRevision(const std::string& id) {
  ASSIGN_OR_RETURN(Stmt stmt, Prepare("SELECT revision FROM groups WHERE id = ?"));
  stmt.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.Int(0) : int64_t{-1};
}

Status SqliteStore::PutGroupRow(const core::ContainerGroup& group, int64_t revision) {
  // One statement for create and update; callers have checked whether the row exists. seq is
  // the creation revision, so an update keeps it.
  {
    ASSIGN_OR_RETURN(Stmt put, Prepare(R"sql(
        INSERT INTO groups (id, seq, account_id, name, region_id, zone_id, vswitch_id,
            resource_group_id, phase, deleting, creation_time, revision, restart_generation,
            spec_json, status_json)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?2, ?12, ?13, ?14)
        ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, name = excluded.name,
            region_id = excluded.region_id, zone_id = excluded.zone_id,
            vswitch_id = excluded.vswitch_id, resource_group_id = excluded.resource_group_id,
            phase = excluded.phase, deleting = excluded.deleting,
            creation_time = excluded.creation_time, revision = excluded.revision,
            restart_generation = excluded.restart_generation, spec_json = excluded.spec_json,
            status_json = excluded.status_json)sql"));
    RETURN_IF_ERROR(put.Bind(1, group.id)
                        .Bind(2, revision)
                        .Bind(3, group.account_id)
                        .Bind(4, group.spec.name)
                        .Bind(5, group.spec.region_id)
                        .Bind(6, group.spec.zone_id)
                        .Bind(7, group.spec.vswitch_id)
                        .Bind(8, group.spec.resource_group_id)
                        .Bind(9, PhaseName(group.status.phase))
                        .Bind(10, int64_t{group.deleting ? 1 : 0})
                        .Bind(11, group.creation_time)
                        .Bind(12, group.restart_generation)
                        .Bind(13, EncodeSpec(group.spec))
                        .Bind(14, EncodeStatus(group.status))
                        .Run());
  }
  {
    ASSIGN_OR_RETURN(Stmt clear, Prepare("DELETE FROM group_tags WHERE group_id = ?"));
    RETURN_IF_ERROR(clear.Bind(1, group.id).Run());
  }
  for (const core::Tag& tag : group.spec.tags) {
    ASSIGN_OR_RETURN(Stmt insert,
                     Prepare("INSERT INTO group_tags (group_id, key, value) VALUES (?, ?, ?)"));
    RETURN_IF_ERROR(insert.Bind(1, group.id).Bind(2, tag.key).Bind(3, tag.value).Run());
  }
  return Status::Ok();
}

struct SqliteStore::GroupRow {
  core::ContainerGroup group;  // everything but spec and status
  std::string spec_json;
  std::string status_json;
};

// Reads a row selected as kGroupColumns; decoding the JSON is left to DecodeGroup, which needs
// no lock.
SqliteStore::GroupRow SqliteStore::ReadGroupRow(Stmt& stmt) {
  GroupRow row;
  row.group.id = stmt.Text(0);
  row.group.account_id = stmt.Text(1);
  row.group.creation_time = stmt.Int(2);
  row.group.restart_generation = stmt.Int(3);
  row.group.deleting = stmt.Int(4) != 0;
  row.group.revision = stmt.Int(5);
  row.spec_json = stmt.Text(6);
  row.status_json = stmt.Text(7);
  return row;
}

StatusOr<core::ContainerGroup> SqliteStore::DecodeGroup(GroupRow row) {
  ASSIGN_OR_RETURN(row.group.spec, DecodeSpec(row.spec_json));
  ASSIGN_OR_RETURN(row.group.status, DecodeStatus(row.status_json));
  return std::move(row.group);
}

StatusOr<core::ContainerGroup> SqliteStore::ReadGroup(Stmt& stmt) {
  return DecodeGroup(ReadGroupRow(stmt));
}

// --- Accounts and keys ------------------------------------------------------------------------

Status SqliteStore::PutAccessKey(const core::AccessKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Stmt stmt, Prepare(R"sql(
      INSERT INTO access_keys (id, secret, account_id, enabled, creation_time)
      VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, account_id = excluded.account_id,
          enabled = excluded.enabled, creation_time = excluded.creation_time)sql"));
  return stmt.Bind(1, key.id)
      .Bind(2, key.secret)
      .Bind(3, key.account_id)
      .Bind(4, int64_t{key.enabled ? 1 : 0})
      .Bind(5, key.creation_time)
      .Run();
}

namespace {
constexpr const char* kAccessKeyColumns = "id, secret, account_id, enabled, creation_time";

template <typename S>
core::AccessKey ReadAccessKey(const S& stmt) {
  core::AccessKey key;
  key.id = stmt.Text(0);
  key.secret = stmt.Text(1);
  key.account_id = stmt.Text(2);
  key.enabled = stmt.Int(3) != 0;
  key.creation_time = stmt.Int(4);
  return key;
}


Status AccessKeyNotFound() {
  return Status(StatusClass::kNotFound, "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.");
}
}  // namespace

StatusOr<core::AccessKey> SqliteStore::GetAccessKey(const std::string& key_id) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Stmt stmt, Prepare(std::string("SELECT ") + kAccessKeyColumns +
                                      " FROM access_keys WHERE id = ?"));
  stmt.Bind(1, key_id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return AccessKeyNotFound();
  return ReadAccessKey(stmt);
}

Status SqliteStore::DeleteAccessKey(const std::string& key_id) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Stmt stmt, Prepare("DELETE FROM access_keys WHERE id = ?"));
  RETURN_IF_ERROR(stmt.Bind(1, key_id).Run());
  if (sqlite3_changes(db_) == 0) return AccessKeyNotFound();
  return Status::Ok();
}

StatusOr<std::vector<core::AccessKey>> SqliteStore::ListAccessKeys() {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Stmt stmt, Prepare(std::string("SELECT ") + kAccessKeyColumns +
                                      " FROM access_keys ORDER BY id"));
  std::vector<core::AccessKey> keys;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      break;
    }
    keys.push_back(ReadAccessKey(stmt));
  }
  return keys;
}

// --- Client tokens (shared by every resource type) ---------------------------------------------

StatusOr<std::optional<std::string>> SqliteStore::EarlierTokenResource(
    const ClientTokenRecord& token) {
  ASSIGN_OR_RETURN(Stmt lookup, Prepare("SELECT fingerprint, resource_id FROM client_tokens "
                                        "WHERE account_id = ? AND token = ?"));
  lookup.Bind(1, token.account_id).Bind(2, token.token);
  ASSIGN_OR_RETURN(bool row, lookup.Step());
  if (!row) {
    return std::optional<std::string>();
  }
  if (lookup.Text(0) != token.fingerprint) {
    return Status(StatusClass::kInvalidArgument, "IdempotentParameterMismatch",
                  "The request uses the same client token as a previous, but non-identical "
                  "request.");
  }
  return std::optional<std::string>(lookup.Text(1));
}

Status SqliteStore::RememberToken(const ClientTokenRecord& token, const std::string& resource_id,
                                  int64_t created_at) {
  ASSIGN_OR_RETURN(Stmt remember, Prepare(R"sql(
      INSERT INTO client_tokens (account_id, token, fingerprint, resource_id, created_at)
      VALUES (?, ?, ?, ?, ?))sql"));
  // The token's time is the creation time of what it created: the store has no clock.
  return remember.Bind(1, token.account_id)
      .Bind(2, token.token)
      .Bind(3, token.fingerprint)
      .Bind(4, token.resource_id.empty() ? resource_id : token.resource_id)
      .Bind(5, created_at)
      .Run();
}

// --- Container groups -------------------------------------------------------------------------

StatusOr<int64_t> SqliteStore::CreateGroup(const core::ContainerGroup& group,
                                           const std::optional<ClientTokenRecord>& token,
                                           std::string* existing_id) {
  if (existing_id != nullptr) {
    existing_id->clear();
  }
  int64_t revision = 0;
  Status st = Write([&]() -> StatusOr<std::optional<WatchEvent>> {
    std::optional<std::string> earlier;
    if (token.has_value()) {
      ASSIGN_OR_RETURN(earlier, EarlierTokenResource(*token));
    }
    if (earlier.has_value()) {
      ASSIGN_OR_RETURN(revision, StoredRevision(*earlier));
      if (revision < 0) {
        return GroupNotFound(*earlier);
      }
      if (existing_id != nullptr) {
        *existing_id = *earlier;
      }
      return std::optional<WatchEvent>();
    }
    ASSIGN_OR_RETURN(int64_t existing, StoredRevision(group.id));
    if (existing >= 0) {
      return Status(StatusClass::kAlreadyExists, "InvalidParameter.Duplicated",
                    "The container group " + group.id + " already exists.");
    }
    ASSIGN_OR_RETURN(revision, BumpRevision());
    RETURN_IF_ERROR(PutGroupRow(group, revision));
    if (token.has_value()) {
      RETURN_IF_ERROR(RememberToken(*token, group.id, group.creation_time));
    }
    return std::optional<WatchEvent>(WatchEvent{WatchEvent::Type::kPut, group.id, revision});
  });
  if (!st.ok()) {
    return st;
  }
  return revision;
}

Status SqliteStore::SeedGroups(const std::vector<SeedGroup>& groups) {
  int64_t last_revision = 0;
  Status st = Write([&]() -> StatusOr<std::optional<WatchEvent>> {
    for (const SeedGroup& seed : groups) {
      ASSIGN_OR_RETURN(last_revision, BumpRevision());
      RETURN_IF_ERROR(PutGroupRow(seed.group, last_revision));
      for (const core::Event& e : seed.events) {
        RETURN_IF_ERROR(InsertEventRow(seed.group.id, e));
      }
    }
    return std::optional<WatchEvent>();  // offline seeding: nobody watches
  });
  if (st.ok() && last_revision > 0) revision_.store(last_revision);
  return st;
}

StatusOr<core::ContainerGroup> SqliteStore::GetGroup(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Stmt stmt,
                   Prepare(std::string("SELECT ") + kGroupColumns + " FROM groups WHERE id = ?"));
  stmt.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return GroupNotFound(id);
  }
  return ReadGroup(stmt);
}

namespace {
Status RevisionConflict(const std::string& id, int64_t expected, int64_t stored) {
  return AbortedError("container group " + id + " is at revision " + std::to_string(stored) +
                      ", not " + std::to_string(expected));
}
}  // namespace

StatusOr<int64_t> SqliteStore::CompareAndPutGroup(const core::ContainerGroup& group,
                                                 int64_t expected_revision) {
  ASSIGN_OR_RETURN(int64_t stored, StoredRevision(group.id));
  if (stored < 0) {
    return GroupNotFound(group.id);
  }
  if (stored != expected_revision) {
    return RevisionConflict(group.id, expected_revision, stored);
  }
  ASSIGN_OR_RETURN(int64_t revision, BumpRevision());
  RETURN_IF_ERROR(PutGroupRow(group, revision));
  return revision;
}

StatusOr<int64_t> SqliteStore::UpdateGroup(const core::ContainerGroup& group,
                                           int64_t expected_revision) {
  int64_t revision = 0;
  Status st = Write([&]() -> StatusOr<std::optional<WatchEvent>> {
    ASSIGN_OR_RETURN(revision, CompareAndPutGroup(group, expected_revision));
    return std::optional<WatchEvent>(WatchEvent{WatchEvent::Type::kPut, group.id, revision});
  });
  if (!st.ok()) {
    return st;
  }
  return revision;
}

StatusOr<std::optional<std::string>> SqliteStore::FindClientToken(
    const ClientTokenRecord& token) {
  std::lock_guard<std::mutex> lock(mu_);
  return EarlierTokenResource(token);
}

StatusOr<int64_t> SqliteStore::UpdateGroupWithToken(const core::ContainerGroup& group,
                                                    int64_t expected_revision,
                                                    const ClientTokenRecord& token,
                                                    bool* replayed) {
  *replayed = false;
  int64_t revision = 0;
  Status st = Write([&]() -> StatusOr<std::optional<WatchEvent>> {
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, EarlierTokenResource(token));
    if (earlier.has_value()) {
      *replayed = true;
      ASSIGN_OR_RETURN(revision, StoredRevision(group.id));
      return std::optional<WatchEvent>();
    }
    ASSIGN_OR_RETURN(revision, CompareAndPutGroup(group, expected_revision));
    RETURN_IF_ERROR(RememberToken(token, group.id, group.creation_time));
    return std::optional<WatchEvent>(WatchEvent{WatchEvent::Type::kPut, group.id, revision});
  });
  if (!st.ok()) {
    return st;
  }
  return revision;
}

Status SqliteStore::DeleteGroup(const std::string& id, int64_t expected_revision) {
  return Write([&]() -> StatusOr<std::optional<WatchEvent>> {
    ASSIGN_OR_RETURN(int64_t stored, StoredRevision(id));
    if (stored < 0) {
      return GroupNotFound(id);
    }
    if (stored != expected_revision) {
      return RevisionConflict(id, expected_revision, stored);
    }
    ASSIGN_OR_RETURN(int64_t revision, BumpRevision());
    // Tags and events go by ON DELETE CASCADE; tokens name the group without a foreign key.
    {
      ASSIGN_OR_RETURN(Stmt del, Prepare("DELETE FROM groups WHERE id = ?"));
      RETURN_IF_ERROR(del.Bind(1, id).Run());
    }
    ASSIGN_OR_RETURN(Stmt tokens, Prepare("DELETE FROM client_tokens WHERE resource_id = ?"));
    RETURN_IF_ERROR(tokens.Bind(1, id).Run());
    return std::optional<WatchEvent>(WatchEvent{WatchEvent::Type::kDelete, id, revision});
  });
}

StatusOr<GroupPage> SqliteStore::ListGroups(const GroupQuery& query) {
  int64_t after_seq = 0;
  if (!query.next_token.empty()) {
    std::optional<int64_t> seq = DecodePageToken(query.next_token);
    if (!seq.has_value()) {
      return InvalidParameter("The specified NextToken is invalid.");
    }
    after_seq = *seq;
  }
  const int limit = std::clamp(query.limit, 1, kMaxPageSize);

  // The filter is built from fixed fragments only; every value is a bound parameter.
  std::string where = "g.account_id = ?";
  std::vector<std::string> params = {query.account_id};
  auto add_equal = [&](const char* column, const std::string& value) {
    if (!value.empty()) {
      where += std::string(" AND g.") + column + " = ?";
      params.push_back(value);
    }
  };
  add_equal("region_id", query.region_id);
  add_equal("name", query.name);
  add_equal("phase", query.phase);
  add_equal("zone_id", query.zone_id);
  add_equal("vswitch_id", query.vswitch_id);
  add_equal("resource_group_id", query.resource_group_id);
  if (!query.ids.empty()) {
    where += " AND g.id IN (";
    for (size_t i = 0; i < query.ids.size(); ++i) {
      where += i == 0 ? "?" : ", ?";
      params.push_back(query.ids[i]);
    }
    where += ")";
  }
  for (const core::Tag& tag : query.tags) {
    where += " AND EXISTS (SELECT 1 FROM group_tags t WHERE t.group_id = g.id AND t.key = ?";
    params.push_back(tag.key);
    if (!tag.value.empty()) {
      where += " AND t.value = ?";
      params.push_back(tag.value);
    }
    where += ")";
  }
  if (!query.include_deleting) {
    where += " AND g.deleting = 0";
  }
  // Queries with many ids or tags would flood the cache with one-off shapes.
  const bool cache = query.ids.size() <= 1 && query.tags.size() <= 1;

  // Only the account and region narrow the query: group_counts holds the answer.
  const bool counted = query.name.empty() && query.phase.empty() && query.zone_id.empty() &&
                       query.vswitch_id.empty() && query.resource_group_id.empty() &&
                       query.ids.empty() && query.tags.empty() && !query.include_deleting;

  std::unique_lock<std::mutex> lock(mu_);
  GroupPage page;
  {
    std::string count_sql =
        !counted ? "SELECT COUNT(*) FROM groups g WHERE " + where
        : query.region_id.empty()
            ? "SELECT COALESCE(SUM(visible), 0) FROM group_counts WHERE account_id = ?"
            : "SELECT COALESCE(SUM(visible), 0) FROM group_counts WHERE account_id = ? AND "
              "region_id = ?";
    ASSIGN_OR_RETURN(Stmt count, Prepare(count_sql, cache));
    for (size_t i = 0; i < params.size(); ++i) {
      count.Bind(static_cast<int>(i + 1), params[i]);
    }
    ASSIGN_OR_RETURN(bool row, count.Step());
    page.total_count = row ? count.Int(0) : 0;
  }
  std::vector<GroupRow> rows;
  {
    // seq comes last so that ReadGroupRow finds kGroupColumns from column 0.
    ASSIGN_OR_RETURN(Stmt stmt, Prepare(std::string("SELECT ") + kGroupColumns +
                                            ", g.seq FROM groups g WHERE " + where +
                                            " AND g.seq > ? ORDER BY g.seq LIMIT ?",
                                        cache));
    int index = 1;
    for (const std::string& p : params) {
      stmt.Bind(index++, p);
    }
    stmt.Bind(index++, after_seq);
    stmt.Bind(index++, int64_t{limit} + 1);
    int64_t last_seq = 0;
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) {
        break;
      }
      if (static_cast<int>(rows.size()) == limit) {
        page.next_token = EncodePageToken(last_seq);
        break;
      }
      rows.push_back(ReadGroupRow(stmt));
      last_seq = stmt.Int(8);
    }
  }
  if (query.with_events) {
    for (const GroupRow& row : rows) {
      ASSIGN_OR_RETURN(std::vector<core::Event> events, ListEventsLocked(row.group.id));
      page.events.push_back(std::move(events));
    }
  }
  lock.unlock();
  for (GroupRow& row : rows) {
    ASSIGN_OR_RETURN(core::ContainerGroup group, DecodeGroup(std::move(row)));
    page.groups.push_back(std::move(group));
  }
  return page;
}

StatusOr<std::vector<core::ContainerGroup>> SqliteStore::ListAllGroups() {
  return ReadGroupsWhere("1");
}

StatusOr<std::vector<core::ContainerGroup>> SqliteStore::ListActiveGroups() {
  // Exactly the condition of the partial index groups_active, so that it is used.
  return ReadGroupsWhere(kActiveGroups);
}

StatusOr<std::vector<core::ContainerGroup>> SqliteStore::ReadGroupsWhere(const char* where) {
  std::vector<GroupRow> rows;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(Stmt stmt, Prepare(std::string("SELECT ") + kGroupColumns +
                                        " FROM groups WHERE " + where + " ORDER BY seq"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) {
        break;
      }
      rows.push_back(ReadGroupRow(stmt));
    }
  }
  // Decoding is most of the work: without the lock, so other callers are not held up by it.
  std::vector<core::ContainerGroup> groups;
  groups.reserve(rows.size());
  for (GroupRow& row : rows) {
    ASSIGN_OR_RETURN(core::ContainerGroup group, DecodeGroup(std::move(row)));
    groups.push_back(std::move(group));
  }
  return groups;
}

StatusOr<int64_t> SqliteStore::CountGroups(const std::string& account_id) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Stmt stmt, Prepare("SELECT COUNT(*) FROM groups WHERE account_id = ?"));
  stmt.Bind(1, account_id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.Int(0) : int64_t{0};
}

// --- Image caches -----------------------------------------------------------------------------

namespace {

Status CacheNotFound(const std::string& id) {
  return Status(StatusClass::kNotFound, "InvalidParameter.NotFound",
                "The image cache " + id + " does not exist.");
}

Status CacheRevisionConflict(const std::string& id, int64_t expected, int64_t stored) {
  return AbortedError("image cache " + id + " is at revision " + std::to_string(stored) +
                      ", not " + std::to_string(expected));
}

bool HoldsImage(const core::ImageCache& cache, const std::string& image) {
  return std::find(cache.images.begin(), cache.images.end(), image) != cache.images.end();
}

}  // namespace

StatusOr<int64_t> SqliteStore::StoredCacheRevision(const std::string& id) {
  ASSIGN_OR_RETURN(Stmt stmt, Prepare("SELECT revision FROM image_caches WHERE id = ?"));
  stmt.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.Int(0) : int64_t{-1};
}

StatusOr<int64_t> SqliteStore::CountImageCachesLocked(const std::string& account_id) {
  ASSIGN_OR_RETURN(Stmt stmt, Prepare("SELECT COUNT(*) FROM image_caches "
                                      "WHERE account_id = ? AND deleting = 0"));
  stmt.Bind(1, account_id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.Int(0) : int64_t{0};
}

Status SqliteStore::PutCacheRow(const core::ImageCache& cache, int64_t revision, int64_t seq) {
  if (seq > 0) {
    ASSIGN_OR_RETURN(Stmt put, Prepare(R"sql(
        INSERT INTO image_caches (id, seq, account_id, name, snapshot_id, deleting, revision,
            cache_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?))sql"));
    return put.Bind(1, cache.id)
        .Bind(2, seq)
        .Bind(3, cache.account_id)
        .Bind(4, cache.name)
        .Bind(5, cache.snapshot_id)
        .Bind(6, int64_t{cache.deleting ? 1 : 0})
        .Bind(7, revision)
        .Bind(8, EncodeImageCache(cache))
        .Run();
  }
  ASSIGN_OR_RETURN(Stmt put, Prepare(R"sql(
      UPDATE image_caches SET account_id = ?2, name = ?3, snapshot_id = ?4, deleting = ?5,
          revision = ?6, cache_json = ?7 WHERE id = ?1)sql"));
  return put.Bind(1, cache.id)
      .Bind(2, cache.account_id)
      .Bind(3, cache.name)
      .Bind(4, cache.snapshot_id)
      .Bind(5, int64_t{cache.deleting ? 1 : 0})
      .Bind(6, revision)
      .Bind(7, EncodeImageCache(cache))
      .Run();
}

StatusOr<int64_t> SqliteStore::CreateImageCache(const core::ImageCache& cache,
                                                const std::optional<ClientTokenRecord>& token,
                                                int64_t max_per_account,
                                                std::string* existing_id) {
  if (existing_id != nullptr) {
    existing_id->clear();
  }
  int64_t revision = 0;
  Status st = Write([&]() -> StatusOr<std::optional<WatchEvent>> {
    std::optional<std::string> earlier;
    if (token.has_value()) {
      ASSIGN_OR_RETURN(earlier, EarlierTokenResource(*token));
    }
    if (earlier.has_value()) {
      ASSIGN_OR_RETURN(revision, StoredCacheRevision(*earlier));
      if (revision < 0) {
        return CacheNotFound(*earlier);
      }
      if (existing_id != nullptr) {
        *existing_id = *earlier;
      }
      return std::optional<WatchEvent>();
    }
    ASSIGN_OR_RETURN(int64_t existing, StoredCacheRevision(cache.id));
    if (existing >= 0) {
      return Status(StatusClass::kAlreadyExists, "InvalidParameter.Duplicated",
                    "The image cache " + cache.id + " already exists.");
    }
    if (max_per_account > 0) {
      ASSIGN_OR_RETURN(int64_t count, CountImageCachesLocked(cache.account_id));
      if (count >= max_per_account) {
        return Status(StatusClass::kResourceExhausted, "QuotaExceeded",
                      "ImageCache quota exceeded: an account may hold at most " +
                          std::to_string(max_per_account) + " image caches.");
      }
    }
    int64_t seq = 0;
    {
      ASSIGN_OR_RETURN(Stmt bump, Prepare("UPDATE meta SET value = value + 1 "
                                          "WHERE key = 'image_cache_seq' RETURNING value"));
      ASSIGN_OR_RETURN(bool row, bump.Step());
      if (!row) {
        return InternalError("the image cache sequence is missing");
      }
      seq = bump.Int(0);
    }
    revision = 1;
    RETURN_IF_ERROR(PutCacheRow(cache, revision, seq));
    if (token.has_value()) {
      RETURN_IF_ERROR(RememberToken(*token, cache.id, cache.creation_time));
    }
    return std::optional<WatchEvent>();
  });
  if (!st.ok()) {
    return st;
  }
  return revision;
}

namespace {
constexpr const char* kCacheColumns = "revision, cache_json, seq";
}  // namespace

StatusOr<core::ImageCache> SqliteStore::GetImageCache(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Stmt stmt, Prepare(std::string("SELECT ") + kCacheColumns +
                                      " FROM image_caches WHERE id = ?"));
  stmt.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return CacheNotFound(id);
  }
  ASSIGN_OR_RETURN(core::ImageCache cache, DecodeImageCache(stmt.Text(1)));
  cache.revision = stmt.Int(0);
  return cache;
}

StatusOr<int64_t> SqliteStore::UpdateImageCache(const core::ImageCache& cache,
                                                int64_t expected_revision) {
  int64_t revision = 0;
  Status st = Write([&]() -> StatusOr<std::optional<WatchEvent>> {
    ASSIGN_OR_RETURN(int64_t stored, StoredCacheRevision(cache.id));
    if (stored < 0) {
      return CacheNotFound(cache.id);
    }
    if (stored != expected_revision) {
      return CacheRevisionConflict(cache.id, expected_revision, stored);
    }
    revision = stored + 1;
    RETURN_IF_ERROR(PutCacheRow(cache, revision, /*seq=*/0));
    return std::optional<WatchEvent>();
  });
  if (!st.ok()) {
    return st;
  }
  return revision;
}

Status SqliteStore::DeleteImageCache(const std::string& id, int64_t expected_revision) {
  return Write([&]() -> StatusOr<std::optional<WatchEvent>> {
    ASSIGN_OR_RETURN(int64_t stored, StoredCacheRevision(id));
    if (stored < 0) {
      return CacheNotFound(id);
    }
    if (stored != expected_revision) {
      return CacheRevisionConflict(id, expected_revision, stored);
    }
    {
      ASSIGN_OR_RETURN(Stmt del, Prepare("DELETE FROM image_caches WHERE id = ?"));
      RETURN_IF_ERROR(del.Bind(1, id).Run());
    }
    ASSIGN_OR_RETURN(Stmt tokens, Prepare("DELETE FROM client_tokens WHERE resource_id = ?"));
    RETURN_IF_ERROR(tokens.Bind(1, id).Run());
    return std::optional<WatchEvent>();
  });
}

StatusOr<ImageCachePage> SqliteStore::ListImageCaches(const ImageCacheQuery& query) {
  int64_t after_seq = 0;
  if (!query.next_token.empty()) {
    std::optional<int64_t> seq = DecodePageToken(query.next_token);
    if (!seq.has_value()) {
      return InvalidParameter("The specified NextToken is invalid.");
    }
    after_seq = *seq;
  }
  const int limit = std::clamp(query.limit, 1, kMaxPageSize);
  // An account holds few caches (the quota is 20), so the image filter and paging run here
  // over the account's rows; the columns narrow the rest in SQL.
  std::string sql = std::string("SELECT ") + kCacheColumns +
                    " FROM image_caches WHERE account_id = ?1 AND (?2 = '' OR id = ?2) AND "
                    "(?3 = '' OR name = ?3) AND (?4 = '' OR snapshot_id = ?4) AND "
                    "(?5 = 1 OR deleting = 0) ORDER BY seq";
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
  stmt.Bind(1, query.account_id)
      .Bind(2, query.id)
      .Bind(3, query.name)
      .Bind(4, query.snapshot_id)
      .Bind(5, int64_t{query.include_deleting ? 1 : 0});
  ImageCachePage page;
  int64_t last_seq = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      break;
    }
    ASSIGN_OR_RETURN(core::ImageCache cache, DecodeImageCache(stmt.Text(1)));
    cache.revision = stmt.Int(0);
    if (!query.image.empty() && !HoldsImage(cache, query.image)) {
      continue;
    }
    ++page.total_count;
    int64_t seq = stmt.Int(2);
    if (seq <= after_seq) {
      continue;
    }
    if (static_cast<int>(page.caches.size()) == limit) {
      page.next_token = EncodePageToken(last_seq);
      continue;  // keep counting
    }
    page.caches.push_back(std::move(cache));
    last_seq = seq;
  }
  return page;
}

StatusOr<std::vector<core::ImageCache>> SqliteStore::ListAllImageCaches() {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Stmt stmt, Prepare(std::string("SELECT ") + kCacheColumns +
                                      " FROM image_caches ORDER BY seq"));
  std::vector<core::ImageCache> caches;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      break;
    }
    ASSIGN_OR_RETURN(core::ImageCache cache, DecodeImageCache(stmt.Text(1)));
    cache.revision = stmt.Int(0);
    caches.push_back(std::move(cache));
  }
  return caches;
}

StatusOr<int64_t> SqliteStore::CountImageCaches(const std::string& account_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return CountImageCachesLocked(account_id);
}

// --- Events -----------------------------------------------------------------------------------

Status SqliteStore::RecordEvent(const std::string& group_id, const core::Event& event) {
  return RecordEvents(group_id, {event});
}

Status SqliteStore::RecordEvents(const std::string& group_id,
                                 const std::vector<core::Event>& events) {
  return Write([&]() -> StatusOr<std::optional<WatchEvent>> {
    ASSIGN_OR_RETURN(int64_t stored, StoredRevision(group_id));
    if (stored < 0) {
      return GroupNotFound(group_id);
    }
    for (const core::Event& event : events) {
      RETURN_IF_ERROR(PutEventLocked(group_id, event));
    }
    // Events are not group writes: no revision, no watch delivery.
    return std::optional<WatchEvent>();
  });
}

Status SqliteStore::InsertEventRow(const std::string& group_id, const core::Event& event) {
  ASSIGN_OR_RETURN(Stmt insert, Prepare(R"sql(
      INSERT INTO events (group_id, type, name, reason, message, count, first_ts, last_ts)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?))sql"));
  return insert.Bind(1, group_id)
      .Bind(2, event.type)
      .Bind(3, event.name)
      .Bind(4, event.reason)
      .Bind(5, event.message)
      .Bind(6, int64_t{event.count})
      .Bind(7, event.first_timestamp)
      .Bind(8, event.last_timestamp)
      .Run();
}

StatusOr<int64_t> SqliteStore::UpdateGroupWithEvents(const core::ContainerGroup& group,
                                                     int64_t expected_revision,
                                                     const std::vector<core::Event>& events) {
  int64_t revision = 0;
  Status st = Write([&]() -> StatusOr<std::optional<WatchEvent>> {
    ASSIGN_OR_RETURN(revision, CompareAndPutGroup(group, expected_revision));
    for (const core::Event& event : events) {
      RETURN_IF_ERROR(PutEventLocked(group.id, event));
    }
    return std::optional<WatchEvent>(WatchEvent{WatchEvent::Type::kPut, group.id, revision});
  });
  if (!st.ok()) {
    return st;
  }
  return revision;
}

Status SqliteStore::PutEventLocked(const std::string& group_id, const core::Event& event) {
  bool merged = false;
  {
    ASSIGN_OR_RETURN(Stmt merge, Prepare(R"sql(
        UPDATE events SET count = count + ?, last_ts = ?
        WHERE group_id = ? AND type = ? AND name = ? AND reason = ? AND message = ?)sql"));
    RETURN_IF_ERROR(merge.Bind(1, int64_t{event.count})
                        .Bind(2, event.last_timestamp)
                        .Bind(3, group_id)
                        .Bind(4, event.type)
                        .Bind(5, event.name)
                        .Bind(6, event.reason)
                        .Bind(7, event.message)
                        .Run());
    merged = sqlite3_changes(db_) > 0;
  }
  if (!merged) {
    RETURN_IF_ERROR(InsertEventRow(group_id, event));
  }
  ASSIGN_OR_RETURN(Stmt trim, Prepare(R"sql(
      DELETE FROM events WHERE group_id = ?1 AND seq NOT IN (
          SELECT seq FROM events WHERE group_id = ?1
          ORDER BY last_ts DESC, seq DESC LIMIT ?2))sql"));
  RETURN_IF_ERROR(trim.Bind(1, group_id).Bind(2, int64_t{kMaxEventsPerGroup}).Run());
  return Status::Ok();
}

StatusOr<std::vector<core::Event>> SqliteStore::ListEvents(const std::string& group_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return ListEventsLocked(group_id);
}

StatusOr<std::vector<core::Event>> SqliteStore::ListEventsLocked(const std::string& group_id) {
  ASSIGN_OR_RETURN(Stmt stmt, Prepare(R"sql(
      SELECT type, name, reason, message, count, first_ts, last_ts FROM events
      WHERE group_id = ? ORDER BY last_ts, seq)sql"));
  stmt.Bind(1, group_id);
  std::vector<core::Event> events;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      break;
    }
    core::Event e;
    e.type = stmt.Text(0);
    e.name = stmt.Text(1);
    e.reason = stmt.Text(2);
    e.message = stmt.Text(3);
    e.count = static_cast<int>(stmt.Int(4));
    e.first_timestamp = stmt.Int(5);
    e.last_timestamp = stmt.Int(6);
    events.push_back(std::move(e));
  }
  return events;
}

// --- Watch ------------------------------------------------------------------------------------

std::unique_ptr<WatchHandle> SqliteStore::Watch(std::function<void(const WatchEvent&)> fn) {
  std::lock_guard<std::mutex> lock(hub_->mu);
  uint64_t id = hub_->next_id++;
  hub_->watchers.emplace(id, std::move(fn));
  return std::make_unique<WatchHandleImpl>(hub_, id);
}

int64_t SqliteStore::CurrentRevision() { return revision_.load(); }

}  // namespace openeci::store
