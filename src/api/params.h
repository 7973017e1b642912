// Params: a read-only view over one request's merged, decoded parameters (query + form body),
// with typed accessors that fail with the documented API errors naming the parameter.
//
// Every accessor records the keys it read, so that after decoding a handler can refuse the keys
// nobody read (Unconsumed()) as unsupported instead of silently ignoring them. Indices() only
// enumerates and does not consume. Not thread-safe: one Params belongs to one request.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace openeci::api {

class Params {
 public:
  // Refuses any value equal to "[object Object]" (pop-core's rendering of a nested object), and
  // any key or value that is not valid UTF-8, with InvalidParameter naming the key.
  static StatusOr<Params> Create(std::map<std::string, std::string> values);

  bool Has(std::string_view key) const;
  std::optional<std::string> Get(std::string_view key) const;
  // MissingParameter when absent or empty.
  StatusOr<std::string> Required(std::string_view key) const;

  // Lenient numbers as JavaScript prints them ("2", "1.5", "1e-7", "1e+21"), surrounding spaces
  // allowed. Absent or blank gives nullopt; anything else non-numeric gives InvalidParameter.
  StatusOr<std::optional<double>> GetDouble(std::string_view key) const;
  // As GetDouble, and the value must be integral and fit int64 ("2.0" and "1e3" are accepted).
  StatusOr<std::optional<int64_t>> GetInt(std::string_view key) const;
  // "true" / "false", case-insensitive, surrounding spaces allowed.
  StatusOr<std::optional<bool>> GetBool(std::string_view key) const;

  // The distinct N of keys "prefix.N" and "prefix.N.<anything>", ascending, gaps kept. Only
  // positive integers without leading zeros count. Does not consume.
  std::vector<int> Indices(std::string_view prefix) const;
  // The values of the exact keys "prefix.N", in index order.
  std::vector<std::string> List(std::string_view prefix) const;
  // Parses a parameter holding a JSON array of strings, e.g. ["eci-1","eci-2"]. Absent gives an
  // empty vector; anything but an array of strings gives InvalidParameter.
  StatusOr<std::vector<std::string>> JsonStringArray(std::string_view key) const;

  // Marks `key` as read without reading it (e.g. the signing parameters).
  void Consume(std::string_view key) const;
  // The keys no accessor has read, in key order.
  std::vector<std::string> Unconsumed() const;

 private:
  explicit Params(std::map<std::string, std::string, std::less<>> values)
      : values_(std::move(values)) {}

  // Looks `key` up and marks it consumed; nullptr when absent.
  const std::string* Find(std::string_view key) const;

  std::map<std::string, std::string, std::less<>> values_;
  mutable std::set<std::string, std::less<>> consumed_;
};

}  // namespace openeci::api
