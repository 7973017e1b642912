#include "logs/log_reader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <fstream>

namespace openeci::logs {
namespace {

// A runaway file (rotation not keeping up) is read from its last this-many bytes only.
constexpr std::streamoff kMaxFileRead = 64LL << 20;

// "2016-10-06T00:17:09.669794202Z" with its fractional seconds (ParseRfc3339 drops them).
std::optional<TimePoint> ParseLogTime(std::string_view s) {
  std::optional<TimePoint> t = ParseRfc3339(std::string(s));
  if (!t) return std::nullopt;
  if (s.size() > 20 && s[19] == '.') {
    int64_t nanos = 0;
    int digits = 0;
    for (size_t i = 20; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (digits < 9) nanos = nanos * 10 + (s[i] - '0');
    }
    for (; digits < 9; ++digits) nanos *= 10;
    *t += std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(nanos));
  }
  return t;
}

bool IsPartial(std::string_view tags) {
  while (!tags.empty()) {
    size_t colon = tags.find(':');
    if (tags.substr(0, colon) == "P") return true;
    if (colon == std::string_view::npos) break;
    tags.remove_prefix(colon + 1);
  }
  return false;
}

// The file's content, or its last kMaxFileRead bytes from a line start. Missing: empty.
std::string ReadTail(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  std::streamoff size = in.tellg();
  std::streamoff start = std::max<std::streamoff>(0, size - kMaxFileRead);
  in.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (start > 0) {
    size_t nl = text.find('\n');
    text.erase(0, nl == std::string::npos ? text.size() : nl + 1);
  }
  return text;
}

// "2016-10-06T00:17:09.669794202Z ": the line prefix of LogReadOptions::timestamps.
std::string TimestampPrefix(TimePoint t) {
  const std::string seconds = FormatRfc3339(t);  // "...:09Z"
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         t.time_since_epoch() % std::chrono::seconds(1))
                         .count();
  char fraction[16];
  std::snprintf(fraction, sizeof(fraction), ".%09lldZ ", static_cast<long long>(nanos));
  return seconds.substr(0, seconds.size() - 1) + fraction;
}

std::string MessageOf(const LogLine& line, bool timestamps) {
  return timestamps ? TimestampPrefix(line.time) + line.message : line.message;
}

// The newest lines passing `options`, oldest first; `complete` tells whether every line
// passed (so older lines, e.g. of the rotated file, could still be wanted).
std::vector<const LogLine*> Select(const std::vector<LogLine>& lines,
                                   const LogReadOptions& options, bool* complete) {
  std::vector<const LogLine*> out;
  size_t bytes = 0;
  *complete = true;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (options.since && it->time < *options.since) {
      *complete = false;
      continue;
    }
    if (options.tail && out.size() >= *options.tail) {
      *complete = false;
      break;
    }
    size_t cost = MessageOf(*it, options.timestamps).size() + (out.empty() ? 0 : 1);
    if (bytes + cost > options.limit_bytes) {
      *complete = false;
      if (out.empty()) out.push_back(&*it);  // too long alone: cut in Join
      break;
    }
    bytes += cost;
    out.push_back(&*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::string Join(const std::vector<const LogLine*>& lines, const LogReadOptions& options) {
  const size_t limit_bytes = options.limit_bytes;
  std::string out;
  for (const LogLine* line : lines) {
    if (!out.empty()) out += '\n';
    out += MessageOf(*line, options.timestamps);
  }
  if (out.size() > limit_bytes) out.erase(0, out.size() - limit_bytes);
  return out;
}

}  // namespace

std::vector<LogLine> ParseCriLog(std::string_view text) {
  struct Pending {
    bool active = false;
    TimePoint time;
    std::string message;
  };
  std::array<Pending, 2> pending;  // stdout, stderr
  std::vector<LogLine> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) break;  // a line still being written
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    size_t s1 = line.find(' ');
    if (s1 == std::string_view::npos) continue;
    size_t s2 = line.find(' ', s1 + 1);
    if (s2 == std::string_view::npos) continue;
    std::string_view stream = line.substr(s1 + 1, s2 - s1 - 1);
    size_t s3 = line.find(' ', s2 + 1);
    std::string_view tags = line.substr(s2 + 1, s3 == std::string_view::npos ? s3 : s3 - s2 - 1);
    std::string_view message =
        s3 == std::string_view::npos ? std::string_view() : line.substr(s3 + 1);
    int index = stream == "stdout" ? 0 : stream == "stderr" ? 1 : -1;
    std::optional<TimePoint> time = ParseLogTime(line.substr(0, s1));
    if (index < 0 || tags.empty() || !time) continue;
    Pending& p = pending[index];
    if (!p.active) {
      p.active = true;
      p.time = *time;
      p.message.clear();
    }
    p.message.append(message);
    if (IsPartial(tags)) continue;
    lines.push_back(LogLine{p.time, std::string(stream), std::move(p.message)});
    p = Pending{};
  }
  // Fragments whose final part never came (the container died mid-line).
  std::vector<LogLine> unfinished;
  for (size_t i = 0; i < pending.size(); ++i) {
    if (!pending[i].active) continue;
    unfinished.push_back(
        LogLine{pending[i].time, i == 0 ? "stdout" : "stderr", std::move(pending[i].message)});
  }
  std::sort(unfinished.begin(), unfinished.end(),
            [](const LogLine& a, const LogLine& b) { return a.time < b.time; });
  for (LogLine& line : unfinished) lines.push_back(std::move(line));
  return lines;
}

StatusOr<std::string> ReadContainerLog(const std::string& path, const LogReadOptions& options) {
  std::string text = ReadTail(path);
  std::vector<LogLine> lines = ParseCriLog(text);
  bool complete = false;
  std::vector<const LogLine*> selected = Select(lines, options, &complete);
  if (complete) {
    std::string rotated = ReadTail(path + ".1");
    if (!rotated.empty()) {
      // Parsed together so that a line split across the rotation is joined.
      lines = ParseCriLog(rotated + text);
      selected = Select(lines, options, &complete);
    }
  }
  return Join(selected, options);
}

}  // namespace openeci::logs
