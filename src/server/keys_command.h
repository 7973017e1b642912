// `openeci keys`: the administrator's view of accounts and their AccessKeys, working directly
// on the configured store (also while `openeci serve` runs: the server reads a key from the
// store on every request, so a created, disabled or deleted key counts from the next request).
//
//   openeci keys create --account A   new key of account A; the secret is printed only here
//   openeci keys list [--account A]   every key (never the secrets)
//   openeci keys disable ID           the key answers Forbidden.AccessKeyDisabled
//   openeci keys enable ID
//   openeci keys delete ID            the key answers InvalidAccessKeyId.NotFound
//
// An account exists as long as one of its keys does; its groups and image caches stay when
// its last key is deleted (a new key of the same account ID reaches them again).
#pragma once

#include <ostream>
#include <string>

#include "common/clock.h"
#include "store/store.h"

namespace openeci::server {

struct KeysCommand {
  std::string verb;        // create, list, disable, enable, delete
  std::string account_id;  // create (required), list (optional filter)
  std::string key_id;      // disable, enable, delete
};

// Account IDs: 1..64 of [A-Za-z0-9._-], starting with a letter or digit.
bool ValidAccountId(const std::string& account_id);

// Runs `command` against `store`; prints results to `out` and problems to `err`. Returns the
// process exit code: 0 done, 1 failed (unknown key, store error), 2 bad usage.
int RunKeysCommand(store::Store& store, const Clock& clock, const KeysCommand& command,
                   std::ostream& out, std::ostream& err);

}  // namespace openeci::server
