#include "common/clock.h"

#include <cstdio>
#include <ctime>
#include <string_view>

namespace openeci {

std::string FormatRfc3339(TimePoint t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

// The `n` decimal digits at `pos` of `s`, or nullopt (no sign, no blanks, no fewer digits).
std::optional<int> Digits(std::string_view s, size_t pos, size_t n) {
  if (pos > s.size() || s.size() - pos < n) return std::nullopt;
  int value = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

bool CharAt(std::string_view s, size_t pos, char c) { return pos < s.size() && s[pos] == c; }

// In these years every TimePoint, and the difference of any two, fits the int64 nanoseconds of
// a TimePoint (about +-292 years); beyond, the conversions of ParseRfc3339 would overflow.
constexpr int kMinRfc3339Year = 1900;
constexpr int kMaxRfc3339Year = 2099;

}  // namespace

std::optional<TimePoint> ParseRfc3339(const std::string& text) {
  // YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm), exactly.
  const std::string_view s = text;
  const std::optional<int> y = Digits(s, 0, 4), mo = Digits(s, 5, 2), d = Digits(s, 8, 2),
                           h = Digits(s, 11, 2), mi = Digits(s, 14, 2), sec = Digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || !CharAt(s, 4, '-') || !CharAt(s, 7, '-') ||
      !(CharAt(s, 10, 'T') || CharAt(s, 10, 't')) || !CharAt(s, 13, ':') || !CharAt(s, 16, ':')) {
    return std::nullopt;
  }
  if (*y < kMinRfc3339Year || *y > kMaxRfc3339Year || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 ||
      *h > 23 || *mi > 59 || *sec > 60) {
    return std::nullopt;
  }
  size_t p = 19;
  if (CharAt(s, p, '.')) {
    const size_t first = ++p;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    if (p == first) return std::nullopt;
  }
  long offset = 0;
  if (CharAt(s, p, 'Z') || CharAt(s, p, 'z')) {
    ++p;
  } else if (CharAt(s, p, '+') || CharAt(s, p, '-')) {
    const std::optional<int> oh = Digits(s, p + 1, 2), om = Digits(s, p + 4, 2);
    if (!oh || !om || !CharAt(s, p + 3, ':') || *oh > 23 || *om > 59) return std::nullopt;
    offset = (*oh * 3600L + *om * 60L) * (s[p] == '+' ? 1 : -1);
    p += 6;
  } else {
    return std::nullopt;
  }
  if (p != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *y - 1900;
  tm.tm_mon = *mo - 1;
  tm.tm_mday = *d;
  tm.tm_hour = *h;
  tm.tm_min = *mi;
  tm.tm_sec = *sec;
  return std::chrono::system_clock::from_time_t(timegm(&tm) - offset);
}

int64_t ToUnixMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint FromUnixMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

}  // namespace openeci
