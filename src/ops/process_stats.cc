#include "ops/process_stats.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace openeci::ops {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The rest of the first line that starts with `prefix`.
std::optional<std::string> LineAfter(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return std::nullopt;
}

double CountOpenFds() {
  std::error_code ec;
  double n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    n += 1;
  }
  return n > 0 ? n - 1 : 0;  // the iterator's own descriptor
}

}  // namespace

std::optional<double> StatusField(const std::string& status_text, const std::string& field) {
  std::optional<std::string> rest = LineAfter(status_text, field + ":");
  if (!rest) return std::nullopt;
  std::istringstream in(*rest);
  double value = 0;
  std::string unit;
  if (!(in >> value)) return std::nullopt;
  in >> unit;
  return unit == "kB" ? value * 1024 : value;
}

std::optional<double> MaxOpenFiles(const std::string& limits_text) {
  std::optional<std::string> rest = LineAfter(limits_text, "Max open files");
  if (!rest) return std::nullopt;
  std::istringstream in(*rest);
  std::string soft;
  in >> soft;
  if (soft == "unlimited") return 0.0;
  try {
    return std::stod(soft);
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<StatTimes> ParseStat(const std::string& stat_text) {
  // The command name (field 2) is in parentheses and may contain spaces: skip past the last ')'.
  size_t close = stat_text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(stat_text.substr(close + 1));
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  for (std::string f; in >> f;) fields.push_back(f);
  // utime = field 14, stime = 15, starttime = 22.
  if (fields.size() < 20) return std::nullopt;
  try {
    StatTimes t;
    t.cpu_ticks = std::stoull(fields[11]) + std::stoull(fields[12]);
    t.start_ticks = std::stoull(fields[19]);
    return t;
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<double> BootTime(const std::string& proc_stat_text) {
  std::optional<std::string> rest = LineAfter(proc_stat_text, "btime ");
  if (!rest) return std::nullopt;
  try {
    return std::stod(*rest);
  } catch (...) {
    return std::nullopt;
  }
}

ProcessStats ReadProcessStats() {
  ProcessStats s;
  std::string status = ReadAll("/proc/self/status");
  s.resident_bytes = StatusField(status, "VmRSS").value_or(0);
  s.virtual_bytes = StatusField(status, "VmSize").value_or(0);
  s.threads = StatusField(status, "Threads").value_or(0);
  s.open_fds = CountOpenFds();
  s.max_fds = MaxOpenFiles(ReadAll("/proc/self/limits")).value_or(0);
  double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::optional<StatTimes> times = ParseStat(ReadAll("/proc/self/stat"));
  if (times && ticks > 0) {
    s.cpu_seconds = static_cast<double>(times->cpu_ticks) / ticks;
    std::optional<double> boot = BootTime(ReadAll("/proc/stat"));
    if (boot) s.start_time_seconds = *boot + static_cast<double>(times->start_ticks) / ticks;
  }
  return s;
}

}  // namespace openeci::ops
