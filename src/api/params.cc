#include "api/params.h"

#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

#include "common/utf8.h"

namespace openeci::api {
namespace {

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

// Parses a whole finite decimal number; a leading '+' is accepted.
std::optional<double> ParseNumber(std::string_view s) {
  const bool plus = !s.empty() && s.front() == '+';
  if (plus) {
    s.remove_prefix(1);
  }
  // from_chars takes a minus itself; look past it, but not past "+-".
  std::string_view digits = s;
  if (!plus && !digits.empty() && digits.front() == '-') {
    digits.remove_prefix(1);
  }
  if (digits.empty() ||
      !(std::isdigit(static_cast<unsigned char>(digits.front())) || digits.front() == '.')) {
    return std::nullopt;  // rejects "inf", "nan" and a second sign
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// Parses a positive decimal integer without leading zeros; nullopt otherwise.
std::optional<int> ParseIndex(std::string_view s) {
  if (s.empty() || s.front() < '1' || s.front() > '9' || s.size() > 9) {
    return std::nullopt;
  }
  int value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return value;
}

Status NotANumber(std::string_view key, std::string_view value, std::string_view what) {
  return InvalidParameter("The parameter \"" + std::string(key) + "\" must be " +
                          std::string(what) + ", got \"" + std::string(value) + "\".");
}

}  // namespace

StatusOr<Params> Params::Create(std::map<std::string, std::string> values) {
  std::map<std::string, std::string, std::less<>> owned;
  for (auto& [key, value] : values) {
    // Everything downstream (JSON answers, the store's JSON columns) is UTF-8.
    if (!IsValidUtf8(key) || !IsValidUtf8(value)) {
      return InvalidParameter("The parameter \"" + ValidUtf8(key) +
                              "\" is not valid UTF-8 text.");
    }
    if (value == "[object Object]") {
      return InvalidParameter("The parameter \"" + key +
                              "\" was sent as \"[object Object]\": send nested fields flattened "
                              "as " +
                              key + ".Child=value instead of a nested object.");
    }
    owned.emplace(key, std::move(value));
  }
  return Params(std::move(owned));
}

const std::string* Params::Find(std::string_view key) const {
  auto it = values_.find(key);
  if (it == values_.end()) {
    return nullptr;
  }
  consumed_.insert(it->first);
  return &it->second;
}

bool Params::Has(std::string_view key) const { return Find(key) != nullptr; }

std::optional<std::string> Params::Get(std::string_view key) const {
  const std::string* value = Find(key);
  return value == nullptr ? std::nullopt : std::optional<std::string>(*value);
}

StatusOr<std::string> Params::Required(std::string_view key) const {
  const std::string* value = Find(key);
  if (value == nullptr || value->empty()) {
    return MissingParameter("The input parameter \"" + std::string(key) +
                            "\" that is mandatory for processing this request is not supplied.");
  }
  return *value;
}

StatusOr<std::optional<double>> Params::GetDouble(std::string_view key) const {
  const std::string* raw = Find(key);
  if (raw == nullptr || TrimSpaces(*raw).empty()) {
    return std::optional<double>();
  }
  const std::optional<double> value = ParseNumber(TrimSpaces(*raw));
  if (!value) {
    return NotANumber(key, *raw, "a number");
  }
  return value;
}

StatusOr<std::optional<int64_t>> Params::GetInt(std::string_view key) const {
  const std::string* raw = Find(key);
  if (raw == nullptr || TrimSpaces(*raw).empty()) {
    return std::optional<int64_t>();
  }
  const std::string_view text = TrimSpaces(*raw);
  // Exact integers first, so that values beyond 2^53 do not lose precision through double.
  int64_t exact = 0;
  const std::string_view digits = text.front() == '+' ? text.substr(1) : text;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), exact);
  if (ec == std::errc() && end == digits.data() + digits.size() &&
      !(text.front() == '+' && digits.front() == '-')) {
    return std::optional<int64_t>(exact);
  }
  const std::optional<double> value = ParseNumber(text);
  if (!value) {
    return NotANumber(key, *raw, "a number");
  }
  // 2^63 is exactly representable; anything at or beyond it does not fit.
  constexpr double kLimit = 9223372036854775808.0;
  if (std::trunc(*value) != *value || *value >= kLimit || *value < -kLimit) {
    return NotANumber(key, *raw, "an integer");
  }
  return std::optional<int64_t>(static_cast<int64_t>(*value));
}

StatusOr<std::optional<bool>> Params::GetBool(std::string_view key) const {
  const std::string* raw = Find(key);
  if (raw == nullptr || TrimSpaces(*raw).empty()) {
    return std::optional<bool>();
  }
  std::string lower(TrimSpaces(*raw));
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower == "true") {
    return std::optional<bool>(true);
  }
  if (lower == "false") {
    return std::optional<bool>(false);
  }
  return InvalidParameter("The parameter \"" + std::string(key) +
                          "\" must be true or false, got \"" + *raw + "\".");
}

std::vector<int> Params::Indices(std::string_view prefix) const {
  const std::string head = std::string(prefix) + ".";
  std::set<int> found;
  for (auto it = values_.lower_bound(head); it != values_.end() && it->first.starts_with(head);
       ++it) {
    const std::string_view rest = std::string_view(it->first).substr(head.size());
    if (const std::optional<int> n = ParseIndex(rest.substr(0, rest.find('.')))) {
      found.insert(*n);
    }
  }
  return std::vector<int>(found.begin(), found.end());
}

std::vector<std::string> Params::List(std::string_view prefix) const {
  const std::string head = std::string(prefix) + ".";
  std::map<int, const std::string*> by_index;
  for (auto it = values_.lower_bound(head); it != values_.end() && it->first.starts_with(head);
       ++it) {
    if (const std::optional<int> n = ParseIndex(std::string_view(it->first).substr(head.size()))) {
      by_index.emplace(*n, &it->second);
      consumed_.insert(it->first);
    }
  }
  std::vector<std::string> out;
  out.reserve(by_index.size());
  for (const auto& [n, value] : by_index) {
    out.push_back(*value);
  }
  return out;
}

StatusOr<std::vector<std::string>> Params::JsonStringArray(std::string_view key) const {
  const std::string* raw = Find(key);
  std::vector<std::string> out;
  if (raw == nullptr) {
    return out;
  }
  const Status bad = InvalidParameter("The parameter \"" + std::string(key) +
                                      "\" must be a JSON array of strings, e.g. [\"a\",\"b\"].");
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(*raw, ec);
  if (ec || !parsed.is_array()) {
    return bad;
  }
  for (const boost::json::value& item : parsed.get_array()) {
    if (!item.is_string()) {
      return bad;
    }
    out.emplace_back(item.get_string().c_str(), item.get_string().size());
  }
  return out;
}

void Params::Consume(std::string_view key) const {
  if (auto it = values_.find(key); it != values_.end()) {
    consumed_.insert(it->first);
  }
}

std::vector<std::string> Params::Unconsumed() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : values_) {
    if (!consumed_.contains(key)) {
      out.push_back(key);
    }
  }
  return out;
}

}  // namespace openeci::api
