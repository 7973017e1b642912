// ProcessStats: this process's resource use as the kernel reports it under /proc/self, for the
// standard process_* metrics. Parsing is split from reading so tests can feed known text.
// Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace openeci::ops {

struct ProcessStats {
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double threads = 0;
  double open_fds = 0;
  double max_fds = 0;             // soft limit; 0 when unlimited or unknown
  double cpu_seconds = 0;         // user + system
  double start_time_seconds = 0;  // Unix time
};

// Reads /proc/self/{status,stat,fd,limits} and /proc/stat. Fields it cannot read stay 0.
ProcessStats ReadProcessStats();

// Parsers (exposed for tests).
// "VmRSS:    1234 kB" style fields of /proc/<pid>/status, in bytes (kB * 1024), or the plain
// number for fields without a unit (Threads).
std::optional<double> StatusField(const std::string& status_text, const std::string& field);
// The soft limit of "Max open files" in /proc/<pid>/limits.
std::optional<double> MaxOpenFiles(const std::string& limits_text);
// utime + stime (clock ticks) and starttime (ticks after boot) of /proc/<pid>/stat.
struct StatTimes {
  uint64_t cpu_ticks = 0;
  uint64_t start_ticks = 0;
};
std::optional<StatTimes> ParseStat(const std::string& stat_text);
// "btime" of /proc/stat (boot time, Unix seconds).
std::optional<double> BootTime(const std::string& proc_stat_text);

}  // namespace openeci::ops
