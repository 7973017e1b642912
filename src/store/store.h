// Store: durable state of OpenECI — accounts and keys, container groups, events, client
// tokens — behind an interface an etcd backend can implement as well as SQLite does:
//   * every write of a group gets a new, store-wide monotonically increasing revision;
//   * updates and deletes are compare-and-swap on the revision the caller read;
//   * Watch delivers every group change after it is durable, in revision order.
// Implementations must be thread-safe: the API threads and the controller call concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/model.h"

namespace openeci::store {

struct GroupQuery {
  std::string account_id;                 // required: a query never crosses accounts
  std::string region_id;                  // empty = any
  std::vector<std::string> ids;           // empty = any
  std::string name;                       // exact; empty = any
  std::string phase;                      // exact GroupPhase name; empty = any
  std::string zone_id;
  std::string vswitch_id;
  std::string resource_group_id;
  std::vector<core::Tag> tags;            // all must match (key, and value when non-empty)
  int limit = 20;                         // 1..100
  std::string next_token;                 // opaque, from a previous GroupPage
  bool include_deleting = false;          // the API never sees groups being deleted
  bool with_events = false;               // also fill GroupPage::events
};

struct GroupPage {
  std::vector<core::ContainerGroup> groups;  // in creation order (oldest first)
  // With GroupQuery::with_events: the events of groups[i] (as ListEvents) at events[i], read
  // in the same snapshot as the groups; empty otherwise.
  std::vector<std::vector<core::Event>> events;
  int64_t total_count = 0;                   // matches of the query, ignoring paging
  std::string next_token;                    // empty when this is the last page
};

// What a ClientToken maps to: the request it was first used with.
struct ClientTokenRecord {
  std::string account_id;
  std::string token;
  std::string fingerprint;  // hash of the request's parameters
  std::string resource_id;  // e.g. the container group ID it created
};

struct ImageCacheQuery {
  std::string account_id;   // required: a query never crosses accounts
  std::string id;           // exact; empty = any
  std::string name;         // exact; empty = any
  std::string image;        // caches holding exactly this image reference; empty = any
  std::string snapshot_id;  // exact; empty = any
  int limit = 20;           // 1..100
  std::string next_token;   // opaque, from a previous ImageCachePage
  bool include_deleting = false;
};

struct ImageCachePage {
  std::vector<core::ImageCache> caches;  // in creation order (oldest first)
  int64_t total_count = 0;               // matches of the query, ignoring paging
  std::string next_token;                // empty when this is the last page
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  std::string group_id;
  int64_t revision = 0;
};

// Cancels its watch when destroyed.
class WatchHandle {
 public:
  virtual ~WatchHandle() = default;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- Accounts and keys -------------------------------------------------------------------
  virtual Status PutAccessKey(const core::AccessKey& key) = 0;
  // NotFound when there is no such key.
  virtual StatusOr<core::AccessKey> GetAccessKey(const std::string& key_id) = 0;
  virtual StatusOr<std::vector<core::AccessKey>> ListAccessKeys() = 0;
  // Removes the key; NotFound (InvalidAccessKeyId.NotFound) when there is no such key.
  virtual Status DeleteAccessKey(const std::string& key_id) = 0;

  // --- Container groups --------------------------------------------------------------------
  // Inserts `group` (whose id must be new) and returns its revision. When `token` is given the
  // insert is idempotent per (account, token): if the token was used before with the same
  // fingerprint, nothing is inserted and the earlier resource's ID is returned through
  // `existing_id`; with a different fingerprint the answer is IdempotentParameterMismatch.
  virtual StatusOr<int64_t> CreateGroup(const core::ContainerGroup& group,
                                        const std::optional<ClientTokenRecord>& token,
                                        std::string* existing_id) = 0;
  // kNotFound with code InvalidParameter.NotFound when absent.
  virtual StatusOr<core::ContainerGroup> GetGroup(const std::string& id) = 0;
  // Replaces the group if its stored revision is still `expected_revision`; returns the new
  // revision, or kAborted if someone else wrote in between, or NotFound.
  virtual StatusOr<int64_t> UpdateGroup(const core::ContainerGroup& group,
                                        int64_t expected_revision) = 0;
  // What an earlier request with `token` (same account) answered: the resource ID when the
  // fingerprints match, nothing when the token is new, IdempotentParameterMismatch otherwise.
  virtual StatusOr<std::optional<std::string>> FindClientToken(
      const ClientTokenRecord& token) = 0;
  // UpdateGroup and remembering `token` (for `group`) in one transaction. If the token was used
  // in between with the same fingerprint, nothing is written and `*replayed` is set (the earlier
  // request's change stands); a different fingerprint is IdempotentParameterMismatch.
  virtual StatusOr<int64_t> UpdateGroupWithToken(const core::ContainerGroup& group,
                                                 int64_t expected_revision,
                                                 const ClientTokenRecord& token,
                                                 bool* replayed) = 0;
  // Removes the group, its events and its client tokens, under the same compare-and-swap.
  virtual Status DeleteGroup(const std::string& id, int64_t expected_revision) = 0;
  virtual StatusOr<GroupPage> ListGroups(const GroupQuery& query) = 0;
  // Every group of every account (for retention), in creation order.
  virtual StatusOr<std::vector<core::ContainerGroup>> ListAllGroups() = 0;
  // The groups that are not finished (Succeeded, Failed) or are being deleted, of every
  // account, in creation order: what admission counts and the controller still works on.
  // Proportional to those groups, not to every group stored.
  virtual StatusOr<std::vector<core::ContainerGroup>> ListActiveGroups() = 0;
  // Number of groups an account holds (for quotas).
  virtual StatusOr<int64_t> CountGroups(const std::string& account_id) = 0;

  // --- Image caches ------------------------------------------------------------------------
  // Image caches have their own per-record revisions (1 on create, +1 per update) and are not
  // delivered to Watch: only the image-cache controller follows them, by resync.
  //
  // Inserts `cache` (whose id must be new). `token` works as for CreateGroup. When
  // `max_per_account` > 0 and the account already holds that many caches not being deleted,
  // nothing is inserted: kResourceExhausted, code QuotaExceeded (checked in the same
  // transaction, so concurrent creates cannot overshoot).
  virtual StatusOr<int64_t> CreateImageCache(const core::ImageCache& cache,
                                             const std::optional<ClientTokenRecord>& token,
                                             int64_t max_per_account,
                                             std::string* existing_id) = 0;
  // kNotFound with code InvalidParameter.NotFound when absent.
  virtual StatusOr<core::ImageCache> GetImageCache(const std::string& id) = 0;
  // Compare-and-swap on the cache's revision, as UpdateGroup.
  virtual StatusOr<int64_t> UpdateImageCache(const core::ImageCache& cache,
                                             int64_t expected_revision) = 0;
  // Removes the cache and its client tokens, under the same compare-and-swap.
  virtual Status DeleteImageCache(const std::string& id, int64_t expected_revision) = 0;
  virtual StatusOr<ImageCachePage> ListImageCaches(const ImageCacheQuery& query) = 0;
  // Every cache of every account, deleting ones included (for the controller).
  virtual StatusOr<std::vector<core::ImageCache>> ListAllImageCaches() = 0;
  // Caches of an account that are not being deleted (for quotas).
  virtual StatusOr<int64_t> CountImageCaches(const std::string& account_id) = 0;

  // --- Events ------------------------------------------------------------------------------
  // Records an event of a group. An event equal in (type, name, reason, message) to one
  // already stored is merged: count += 1, last_timestamp updated. At most 50 are kept per
  // group; the oldest (by last_timestamp) go first.
  virtual Status RecordEvent(const std::string& group_id, const core::Event& event) = 0;
  // RecordEvent of each of `events` in order, in one transaction (one disk sync for all).
  virtual Status RecordEvents(const std::string& group_id,
                              const std::vector<core::Event>& events) = 0;
  // RecordEvents and UpdateGroup in one transaction: both or, on a conflict or NotFound,
  // neither (the caller decides whether the events still matter).
  virtual StatusOr<int64_t> UpdateGroupWithEvents(const core::ContainerGroup& group,
                                                  int64_t expected_revision,
                                                  const std::vector<core::Event>& events) = 0;
  // Oldest first.
  virtual StatusOr<std::vector<core::Event>> ListEvents(const std::string& group_id) = 0;

  // --- Watch -------------------------------------------------------------------------------
  // Calls `fn` after each durable change of any group (from any thread; `fn` must be quick and
  // must not call back into the store, nor create or destroy a watch: the handle's destructor
  // waits for a delivery in progress). Events are delivered in revision order.
  virtual std::unique_ptr<WatchHandle> Watch(std::function<void(const WatchEvent&)> fn) = 0;
  virtual int64_t CurrentRevision() = 0;
};

}  // namespace openeci::store
