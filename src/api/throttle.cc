#include "api/throttle.h"

#include <algorithm>
#include <chrono>

namespace openeci::api {

bool TokenBucket::TryTake(TimePoint now) {
  if (now > last_) {
    std::chrono::duration<double> elapsed = now - last_;
    tokens_ = std::min(capacity_, tokens_ + elapsed.count() * rate_);
    last_ = now;
  }
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

bool Throttle::IsRead(const std::string& action) {
  return action.starts_with("Describe") || action.starts_with("Export");
}

Status Throttle::Admit(const std::string& account_id, const std::string& action) {
  const bool read = IsRead(action);
  const double rate = read ? options_.read_rate : options_.write_rate;
  if (rate <= 0) return Status::Ok();
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  auto key = std::make_pair(account_id, read);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    const double capacity = std::max(1.0, rate * options_.burst_seconds);
    it = buckets_.emplace(std::move(key), TokenBucket(rate, capacity, now)).first;
  }
  if (it->second.TryTake(now)) return Status::Ok();
  return Status(StatusClass::kResourceExhausted, "Throttling",
                "You have made too many requests within a short time ; your request is denied "
                "due to request throttling.");
}

}  // namespace openeci::api
