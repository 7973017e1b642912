// Fuzz target: CRI log files as containerd writes them ("RFC3339NANO stream P|F message") and
// DescribeContainerLog's reading of them. Input: four option bytes (tail, byte limit,
// timestamps, since), one byte saying where the text splits into the rotated file and the
// current one, then the log text. Properties: no crash; the answer respects the byte limit;
// parsing never invents content (every message is made of the input's bytes, so a line's
// message is never longer than the input).
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "common/clock.h"
#include "fuzz_check.h"
#include "logs/log_reader.h"

namespace {

using namespace openeci;

void Write(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path =
      (std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp")) +
      "/openeci-fuzz-cri-log-" + std::to_string(::getpid()) + ".log";
  std::string_view text = fuzz::AsText(data, size);

  logs::LogReadOptions options;
  uint8_t tail = fuzz::TakeByte(text);
  if (tail != 0) options.tail = tail - 1;
  options.limit_bytes = fuzz::TakeByte(text) * 16;
  options.timestamps = fuzz::TakeByte(text) % 2;
  uint8_t since = fuzz::TakeByte(text);
  if (since != 0) options.since = FromUnixMillis(1714564800000 + (since - 128) * 1000);
  size_t split = fuzz::TakeByte(text);
  split = split < 255 ? std::min(text.size(), split * text.size() / 254) : text.size();

  for (const logs::LogLine& line : logs::ParseCriLog(text)) {
    if (line.message.size() > text.size()) fuzz::Finding("a log line longer than its input");
  }
  Write(path + ".1", text.substr(0, split));
  Write(path, text.substr(split));
  StatusOr<std::string> log = logs::ReadContainerLog(path, options);
  if (!log.ok()) fuzz::Finding("reading a log failed: " + log.status().ToString());
  if (log->size() > options.limit_bytes) fuzz::Finding("the log answer exceeds its byte limit");
  std::remove((path + ".1").c_str());
  std::remove(path.c_str());
  return 0;
}
