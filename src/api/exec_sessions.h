// ExecSessionRegistry: the one-time tokens ExecContainerCommand hands out. A token names one
// prepared exec (which container, which command, TTY, stdin) of one account; it can be taken
// once, within a TTL from its issue (default 60 s, OPENECI_EXEC_TOKEN_TTL_SECONDS), by the
// WebSocket endpoint /exec/<token>. Expired entries are pruned on every call and the registry
// holds at most `capacity` live tokens. Thread-safe (one mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace openeci::api {

inline constexpr std::chrono::seconds kDefaultExecTokenTtl{60};

// What a token stands for.
struct ExecSession {
  std::string account_id;
  std::string access_key_id;  // the key that asked (still enabled when the token is used)
  std::string group_id;
  std::string container_name;
  std::string container_id;  // the runtime's ID of the running container
  std::vector<std::string> command;
  bool tty = false;
  bool stdin_open = false;
};

class ExecSessionRegistry {
 public:
  static constexpr size_t kDefaultCapacity = 10000;
  static constexpr int kTokenLength = 40;

  ExecSessionRegistry(const Clock& clock, std::chrono::seconds ttl = kDefaultExecTokenTtl,
                      size_t capacity = kDefaultCapacity)
      : clock_(clock), ttl_(ttl), capacity_(capacity) {}

  // Stores `session` under a new random token (kTokenLength alphanumerics) and returns the
  // token; Throttling (resource exhausted) when `capacity` live tokens exist.
  StatusOr<std::string> Issue(ExecSession session);
  // The session of `token`, once: a second Take, an unknown or an expired token give nullopt.
  std::optional<ExecSession> Take(const std::string& token);

  std::chrono::seconds ttl() const { return ttl_; }
  // Live (unexpired, untaken) tokens.
  size_t size();

 private:
  struct Entry {
    ExecSession session;
    TimePoint expires_at;
  };
  void PruneLocked(TimePoint now);

  const Clock& clock_;
  const std::chrono::seconds ttl_;
  const size_t capacity_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace openeci::api
