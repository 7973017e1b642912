// What `eci` prints: aligned tables, indented JSON, ages and durations. Free functions;
// thread-safe (they write only to the stream they are given).
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/clock.h"

namespace openeci::cli {

using Row = std::vector<std::string>;

// Columns padded to their widest cell, separated by three spaces; no trailing spaces.
void PrintTable(std::ostream& out, const Row& header, const std::vector<Row>& rows);

// JSON indented by two spaces, one member per line, ending with a newline.
void PrintJson(std::ostream& out, const boost::json::value& v);

// The age of an RFC 3339 time at `now`, as kubectl shows it: "45s", "12m", "3h", "5d"; "-" for
// an empty or unparsable time.
std::string FormatAge(const std::string& rfc3339, TimePoint now);

// "90", "90s", "5m", "1h30m", "2d" → seconds. nullopt when malformed or not positive.
std::optional<std::chrono::seconds> ParseDuration(const std::string& text);

// 1536 → "1.5Ki", 268435456 → "256Mi" (binary units, at most one decimal).
std::string FormatBytes(double bytes);

// The string member `key` of an object, or "" (absent, not a string, not an object).
std::string Str(const boost::json::object& o, const char* key);
std::string Str(const boost::json::value& v, const char* key);
// The member `key` as a number (int, uint or double), or 0.
double Num(const boost::json::object& o, const char* key);
double Num(const boost::json::value& v, const char* key);
// The member `key` as an array, or an empty one. The object overload matters: passing an object
// to the value overload would copy it into a temporary and return a dangling reference.
const boost::json::array& Arr(const boost::json::object& o, const char* key);
const boost::json::array& Arr(const boost::json::value& v, const char* key);

}  // namespace openeci::cli
