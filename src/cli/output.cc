#include "cli/output.h"

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>

namespace openeci::cli {
namespace {

namespace json = boost::json;

void Indent(std::ostream& out, int depth) {
  for (int i = 0; i < depth; ++i) out << "  ";
}

void PrintValue(std::ostream& out, const json::value& v, int depth) {
  if (v.is_object() && !v.as_object().empty()) {
    out << "{\n";
    size_t i = 0;
    for (const auto& [key, member] : v.as_object()) {
      Indent(out, depth + 1);
      out << json::serialize(json::string(key)) << ": ";
      PrintValue(out, member, depth + 1);
      out << (++i < v.as_object().size() ? ",\n" : "\n");
    }
    Indent(out, depth);
    out << "}";
  } else if (v.is_array() && !v.as_array().empty()) {
    out << "[\n";
    size_t i = 0;
    for (const json::value& item : v.as_array()) {
      Indent(out, depth + 1);
      PrintValue(out, item, depth + 1);
      out << (++i < v.as_array().size() ? ",\n" : "\n");
    }
    Indent(out, depth);
    out << "]";
  } else {
    out << json::serialize(v);
  }
}

}  // namespace

void PrintTable(std::ostream& out, const Row& header, const std::vector<Row>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  auto widen = [&](const Row& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  widen(header);
  for (const Row& row : rows) widen(row);
  auto print = [&](const Row& row) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    out << line << "\n";
  };
  print(header);
  for (const Row& row : rows) print(row);
}

void PrintJson(std::ostream& out, const json::value& v) {
  PrintValue(out, v, 0);
  out << "\n";
}

std::string FormatAge(const std::string& rfc3339, TimePoint now) {
  std::optional<TimePoint> t = ParseRfc3339(rfc3339);
  if (rfc3339.empty() || !t) return "-";
  int64_t s = std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(now - *t).count());
  if (s < 120) return std::to_string(s) + "s";
  if (s < 120 * 60) return std::to_string(s / 60) + "m";
  if (s < 48 * 3600) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::optional<std::chrono::seconds> ParseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start || i - start > 9) return std::nullopt;
    int64_t n = std::stoll(text.substr(start, i - start));
    int64_t unit = 1;
    if (i < text.size()) {
      switch (text[i++]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return std::nullopt;
      }
    } else if (start != 0) {
      return std::nullopt;  // "1h30": a unit is needed after the first part
    }
    total += n * unit;
  }
  if (total <= 0) return std::nullopt;
  return std::chrono::seconds(total);
}

std::string FormatBytes(double bytes) {
  static const char* kUnits[] = {"", "Ki", "Mi", "Gi", "Ti"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0 || bytes >= 100 || std::fabs(bytes - std::round(bytes)) < 0.05) {
    std::snprintf(buf, sizeof(buf), "%.0f%s", bytes, kUnits[unit]);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f%s", bytes, kUnits[unit]);
  }
  return buf;
}

std::string Str(const json::object& o, const char* key) {
  const json::value* m = o.if_contains(key);
  return m != nullptr && m->is_string() ? std::string(m->as_string()) : std::string();
}

std::string Str(const json::value& v, const char* key) {
  return v.is_object() ? Str(v.as_object(), key) : std::string();
}

double Num(const json::object& o, const char* key) {
  const json::value* m = o.if_contains(key);
  if (m == nullptr) return 0;
  if (m->is_int64()) return static_cast<double>(m->as_int64());
  if (m->is_uint64()) return static_cast<double>(m->as_uint64());
  if (m->is_double()) return m->as_double();
  return 0;
}

double Num(const json::value& v, const char* key) {
  return v.is_object() ? Num(v.as_object(), key) : 0;
}

const json::array& Arr(const json::object& o, const char* key) {
  static const json::array kEmpty;
  const json::value* m = o.if_contains(key);
  return m != nullptr && m->is_array() ? m->as_array() : kEmpty;
}

const json::array& Arr(const json::value& v, const char* key) {
  static const json::array kEmpty;
  return v.is_object() ? Arr(v.as_object(), key) : kEmpty;
}

}  // namespace openeci::cli
