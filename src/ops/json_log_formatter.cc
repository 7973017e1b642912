#include "ops/json_log_formatter.h"

#include <spdlog/spdlog.h>
#include <time.h>

#include <chrono>
#include <cstdio>

namespace openeci::ops {
namespace {

constexpr const char* kDefaultLogger = "openeci";

std::string Rfc3339Millis(spdlog::log_clock::time_point t) {
  auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  time_t seconds = static_cast<time_t>(since_epoch.count() / 1000);
  int millis = static_cast<int>(since_epoch.count() % 1000);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return buf;
}

void Append(spdlog::memory_buf_t& dest, std::string_view text) {
  dest.append(text.data(), text.data() + text.size());
}

}  // namespace

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
  auto level = spdlog::level::to_string_view(msg.level);
  Append(dest, "{\"time\":\"" + Rfc3339Millis(msg.time) + "\",\"level\":\"");
  Append(dest, std::string_view(level.data(), level.size()));
  Append(dest, "\",\"logger\":\"" + JsonEscape(logger.empty() ? kDefaultLogger : logger));
  Append(dest, "\",\"msg\":\"" + JsonEscape({msg.payload.data(), msg.payload.size()}) + "\"}\n");
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

void SetLogFormat(const std::string& format) {
  if (format == "json") spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
}

}  // namespace openeci::ops
