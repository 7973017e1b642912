#include "api/exec_sessions.h"

#include "common/ids.h"

namespace openeci::api {

void ExecSessionRegistry::PruneLocked(TimePoint now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.expires_at <= now ? entries_.erase(it) : std::next(it);
  }
}

StatusOr<std::string> ExecSessionRegistry::Issue(ExecSession session) {
  TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  PruneLocked(now);
  if (entries_.size() >= capacity_) {
    return Status(StatusClass::kResourceExhausted, "Throttling",
                  "Too many exec sessions are waiting to be connected; try again later.");
  }
  std::string token = RandomAlnum(kTokenLength);
  while (entries_.count(token)) token = RandomAlnum(kTokenLength);
  entries_.emplace(token, Entry{std::move(session), now + ttl_});
  return token;
}

std::optional<ExecSession> ExecSessionRegistry::Take(const std::string& token) {
  TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  PruneLocked(now);
  auto it = entries_.find(token);
  if (it == entries_.end()) return std::nullopt;
  ExecSession session = std::move(it->second.session);
  entries_.erase(it);
  return session;
}

size_t ExecSessionRegistry::size() {
  TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  PruneLocked(now);
  return entries_.size();
}

}  // namespace openeci::api
