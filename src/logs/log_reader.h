// Reading container logs as the CRI runtime writes them: one file per container attempt, each
// line "RFC3339NANO stdout|stderr P|F message", where P marks a fragment that the next line of
// the same stream continues. The reader joins fragments, keeps stdout and stderr interleaved
// in file order, and answers the newest lines that pass the filters, as DescribeContainerLog
// returns them. Stateless functions; safe to call from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace openeci::logs {

// The most DescribeContainerLog returns: 1 MiB of log content.
inline constexpr size_t kMaxLogBytes = 1 << 20;

struct LogLine {
  TimePoint time;      // of the line's first fragment
  std::string stream;  // "stdout" or "stderr"
  std::string message;
};

struct LogReadOptions {
  std::optional<TimePoint> since;  // only lines written at or after this time
  std::optional<size_t> tail;      // only the newest N lines
  size_t limit_bytes = kMaxLogBytes;  // the newest whole lines whose content fits
  // Prefix each line with its time, "2016-10-06T00:17:09.669794202Z " (always 9 fractional
  // digits, so the prefixes sort as text); the prefix counts towards limit_bytes.
  bool timestamps = false;
};

// Parses CRI log text into complete lines, in file order. Malformed lines are skipped; a
// trailing fragment without its final part is kept as a line of its own.
std::vector<LogLine> ParseCriLog(std::string_view text);

// Reads the log of one container attempt: `path`, preceded by its rotated predecessor
// `path + ".1"` when the current file alone does not satisfy the request. Missing files read
// as empty. Returns the messages joined by '\n' (no timestamps, no trailing newline).
StatusOr<std::string> ReadContainerLog(const std::string& path, const LogReadOptions& options);

}  // namespace openeci::logs
