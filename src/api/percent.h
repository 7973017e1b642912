// Percent-encoding as the Alibaba Cloud RPC signatures use it, and decoding of query strings and
// x-www-form-urlencoded bodies. Stateless free functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace openeci::api {

// RFC 3986 strict encoding over the bytes of `s`: only A-Z a-z 0-9 - _ . ~ stay literal, every
// other byte becomes %XX with uppercase hex. This is the `pct()` of both signature schemes.
std::string PercentEncode(std::string_view s);

// Decodes %XX escapes (either hex case). When `plus_is_space`, '+' decodes to ' '. Returns
// nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// Splits a query string or form body into decoded (key, value) pairs in wire order. '+' means
// space; a piece without '=' has the value ""; empty pieces ("a=1&&b=2") are skipped. A malformed
// escape gives InvalidParameter naming the offending key.
StatusOr<std::vector<std::pair<std::string, std::string>>> ParseUrlEncoded(std::string_view text);

}  // namespace openeci::api
