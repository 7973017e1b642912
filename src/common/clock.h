// Clock: the injected source of wall time. Everything that reads the time (signature skew,
// back-off, events, retention) takes a Clock&, so tests use FakeClock instead of sleeping.
// SystemClock is stateless and thread-safe; FakeClock is thread-safe (atomic).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <optional>

namespace openeci {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_ns_(ToNs(start)) {}
  TimePoint Now() const override { return TimePoint(std::chrono::nanoseconds(now_ns_.load())); }
  void Advance(std::chrono::nanoseconds d) { now_ns_ += d.count(); }
  void Set(TimePoint t) { now_ns_ = ToNs(t); }

 private:
  static int64_t ToNs(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }
  std::atomic<int64_t> now_ns_;
};

// "2018-08-02T15:00:00Z" (UTC, second precision), the format of every API timestamp.
std::string FormatRfc3339(TimePoint t);
// Parses "YYYY-MM-DDThh:mm:ssZ" (fractional seconds and numeric offsets tolerated), with every
// field zero-padded to its width and nothing before or after. Only years 1900-2099: a TimePoint
// counts nanoseconds in an int64.
std::optional<TimePoint> ParseRfc3339(const std::string& s);
// Milliseconds since the Unix epoch; the store's time representation.
int64_t ToUnixMillis(TimePoint t);
TimePoint FromUnixMillis(int64_t ms);

}  // namespace openeci
