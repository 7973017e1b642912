#include "server/keys_command.h"

#include <cctype>
#include <cstdio>

#include "common/ids.h"

namespace openeci::server {
namespace {

// The same shape as the keys the server seeds: "LTAI" + 20, secret of 30.
core::AccessKey NewKey(const std::string& account_id, const Clock& clock) {
  core::AccessKey key;
  key.id = "LTAI" + RandomAlnum(20);
  key.secret = RandomAlnum(30);
  key.account_id = account_id;
  key.enabled = true;
  key.creation_time = ToUnixMillis(clock.Now());
  return key;
}

int Failed(std::ostream& err, const Status& st) {
  err << "openeci keys: " << st.message() << "\n";
  return 1;
}

int Create(store::Store& store, const Clock& clock, const KeysCommand& c, std::ostream& out,
           std::ostream& err) {
  if (!ValidAccountId(c.account_id)) {
    err << "openeci keys create: --account must be 1 to 64 of A-Z a-z 0-9 . _ - (starting with "
           "a letter or digit), got \"" << c.account_id << "\"\n";
    return 2;
  }
  core::AccessKey key = NewKey(c.account_id, clock);
  while (store.GetAccessKey(key.id).ok()) key = NewKey(c.account_id, clock);
  if (Status st = store.PutAccessKey(key); !st.ok()) return Failed(err, st);
  out << "AccountId: " << key.account_id << "\nAccessKeyId: " << key.id
      << "\nAccessKeySecret: " << key.secret
      << "\n# The secret is shown only now; keep it safe.\n";
  return 0;
}

int List(store::Store& store, const KeysCommand& c, std::ostream& out, std::ostream& err) {
  StatusOr<std::vector<core::AccessKey>> keys = store.ListAccessKeys();
  if (!keys.ok()) return Failed(err, keys.status());
  char line[256];
  std::snprintf(line, sizeof line, "%-28s %-24s %-9s %s\n", "ACCESS KEY ID", "ACCOUNT", "STATUS",
                "CREATED");
  out << line;
  for (const core::AccessKey& k : *keys) {
    if (!c.account_id.empty() && k.account_id != c.account_id) continue;
    std::snprintf(line, sizeof line, "%-28s %-24s %-9s %s\n", k.id.c_str(),
                  k.account_id.c_str(), k.enabled ? "Enabled" : "Disabled",
                  FormatRfc3339(FromUnixMillis(k.creation_time)).c_str());
    out << line;
  }
  return 0;
}

int SetEnabled(store::Store& store, const KeysCommand& c, bool enabled, std::ostream& out,
               std::ostream& err) {
  StatusOr<core::AccessKey> key = store.GetAccessKey(c.key_id);
  if (!key.ok()) return Failed(err, key.status());
  key->enabled = enabled;
  if (Status st = store.PutAccessKey(*key); !st.ok()) return Failed(err, st);
  out << key->id << " (account " << key->account_id << ") "
      << (enabled ? "enabled" : "disabled") << "\n";
  return 0;
}

int Delete(store::Store& store, const KeysCommand& c, std::ostream& out, std::ostream& err) {
  if (Status st = store.DeleteAccessKey(c.key_id); !st.ok()) return Failed(err, st);
  out << c.key_id << " deleted\n";
  return 0;
}

}  // namespace

bool ValidAccountId(const std::string& account_id) {
  if (account_id.empty() || account_id.size() > 64) return false;
  if (!std::isalnum(static_cast<unsigned char>(account_id.front()))) return false;
  for (char ch : account_id) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-') {
      return false;
    }
  }
  return true;
}

int RunKeysCommand(store::Store& store, const Clock& clock, const KeysCommand& command,
                   std::ostream& out, std::ostream& err) {
  if (command.verb == "create") return Create(store, clock, command, out, err);
  if (command.verb == "list") return List(store, command, out, err);
  if (command.verb == "disable" || command.verb == "enable" || command.verb == "delete") {
    if (command.key_id.empty()) {
      err << "openeci keys " << command.verb << ": which key? (openeci keys " << command.verb
          << " ACCESS_KEY_ID)\n";
      return 2;
    }
    if (command.verb == "delete") return Delete(store, command, out, err);
    return SetEnabled(store, command, command.verb == "enable", out, err);
  }
  err << "openeci keys: unknown command \"" << command.verb
      << "\" (create, list, disable, enable, delete)\n";
  return 2;
}

}  // namespace openeci::server
