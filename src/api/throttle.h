// Throttle: per-account request rate limits, one token bucket per (account, action class).
// ECI limits API calls per account and answers `Throttling` (HTTP 400, API reference section 4)
// when a caller goes over; OpenECI does the same with two classes: reads (Describe*, Export*)
// and writes (everything else: Create*, Update*, Delete*, Restart*, ExecContainerCommand).
// A bucket holds up to rate x burst_seconds tokens (at least 1), refills at `rate` tokens per
// second and each request takes one. A rate of 0 switches that class off.
//
// Buckets exist only for accounts that authenticated, so the map is bounded by the number of
// accounts. Time comes from the injected Clock; a clock that steps back refills nothing.
// Thread-safe (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "common/clock.h"
#include "common/status.h"

namespace openeci::api {

struct ThrottleOptions {
  double read_rate = 0;        // Describe*/Export* requests per second per account; 0 = off
  double write_rate = 0;       // all other actions, per second per account; 0 = off
  double burst_seconds = 1;    // bucket capacity in seconds of rate
};

// One bucket; not thread-safe (Throttle guards it).
class TokenBucket {
 public:
  TokenBucket(double rate, double capacity, TimePoint now)
      : rate_(rate), capacity_(capacity), tokens_(capacity), last_(now) {}

  // Refills for the time since the last call and takes one token if there is one.
  bool TryTake(TimePoint now);

 private:
  double rate_;
  double capacity_;
  double tokens_;
  TimePoint last_;
};

class Throttle {
 public:
  Throttle(const Clock& clock, ThrottleOptions options) : clock_(clock), options_(options) {}

  // Ok, or Throttling (class kResourceExhausted) when `account_id` has no token left for the
  // class of `action`.
  Status Admit(const std::string& account_id, const std::string& action);

  // True for actions that only read (the "read" class).
  static bool IsRead(const std::string& action);

 private:
  const Clock& clock_;
  const ThrottleOptions options_;
  std::mutex mu_;
  std::map<std::pair<std::string, bool>, TokenBucket> buckets_;  // (account, is_read); mu_
};

}  // namespace openeci::api
