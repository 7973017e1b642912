// UTF-8 checks for text that crosses the API boundary: parameters must be valid UTF-8 before
// anything stores or echoes them (JSON bodies and the store's JSON columns are UTF-8).
// Stateless free functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace openeci {

// Whether `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF).
bool IsValidUtf8(std::string_view s);

// `s` with every byte that is not part of a well-formed sequence replaced by U+FFFD, so it can
// be echoed in a message.
std::string ValidUtf8(std::string_view s);

}  // namespace openeci
