// JsonLogFormatter: an spdlog formatter writing one JSON object per line (OPENECI_LOG_FORMAT=
// json), for log shippers:
//   {"time":"2026-11-28T08:38:12.123Z","level":"info","logger":"openeci","msg":"..."}
// time is UTC with milliseconds; level is spdlog's name (trace, debug, info, warning, error,
// critical); logger is the spdlog logger's name ("openeci" for the default logger); msg is the
// message, JSON-escaped (control characters as \uXXXX; other bytes are passed through).
// Stateless; spdlog calls it under its sink's lock.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace openeci::ops {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// `text` as the inside of a JSON string (exposed for tests).
std::string JsonEscape(std::string_view text);

// Makes every spdlog logger write `format` ("text" or "json").
void SetLogFormat(const std::string& format);

}  // namespace openeci::ops
