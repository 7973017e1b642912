// What every fuzz target checks besides "no crash, no sanitizer report": bad input is refused
// with a documented client error (an API code and a 4xx), never a server error. Also the small
// input helpers the targets share. Header-only; the targets are single-threaded.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"
#include "core/model.h"

namespace openeci::fuzz {

// Reports a broken property and aborts, which libFuzzer (and the replay driver) count as a
// finding.
[[noreturn]] inline void Finding(const std::string& what) {
  std::fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
  std::abort();
}

// A finding when `status` is an error the API would answer with a 5xx or without a code.
inline void RequireClientError(const Status& status, std::string_view where) {
  if (status.ok()) return;
  StatusClass c = status.cls();
  if (status.api_code().empty() || c == StatusClass::kInternal || c == StatusClass::kUnavailable ||
      c == StatusClass::kAborted) {
    Finding(std::string(where) + ": bad input gave a server error: " + status.ToString());
  }
}

// The one access key the signing targets sign with and their key lookup knows.
inline const core::AccessKey kFuzzKey{"fuzzid", "fuzzsecret", "acct-fuzz", true, 0};

inline StatusOr<core::AccessKey> LookupFuzzKey(const std::string& id) {
  if (id == kFuzzKey.id) return kFuzzKey;
  return NotFoundError("InvalidAccessKeyId.NotFound", "no such key");
}

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits `text` at the first `separator`: (before, after). Without one: (text, "").
inline std::pair<std::string_view, std::string_view> SplitAt(std::string_view text,
                                                             char separator) {
  size_t at = text.find(separator);
  if (at == std::string_view::npos) return {text, {}};
  return {text.substr(0, at), text.substr(at + 1)};
}

// Takes the first byte of `text` as a small number (0 when empty).
inline uint8_t TakeByte(std::string_view& text) {
  if (text.empty()) return 0;
  uint8_t b = static_cast<uint8_t>(text.front());
  text.remove_prefix(1);
  return b;
}

}  // namespace openeci::fuzz
