// Fuzz target: the ACS3-HMAC-SHA256 signature (the Authorization header over the canonical
// request). Input: one byte choosing the method, then "name:value" header lines, a NUL, the
// query string, a NUL, the body. Properties: the request as sent is refused with a client error
// (or, by an astronomically unlikely chance, accepted); the same request signed as the SDKs sign
// it, with its headers listed in SignedHeaders, authenticates.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "api/percent.h"
#include "api/signature.h"
#include "common/clock.h"
#include "fuzz_check.h"

namespace {

using namespace openeci;

// RFC 9110 token characters: what an HTTP header name can be.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// What an HTTP parser hands over as a header value: no CR, LF or NUL, no surrounding blanks.
bool IsFieldValue(std::string_view s) {
  if (s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) return false;
  return s.empty() ||
         (s.front() != ' ' && s.front() != '\t' && s.back() != ' ' && s.back() != '\t');
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const FakeClock clock{FromUnixMillis(1714564800000)};
  static const char* kMethods[] = {"POST", "GET", "PUT", "DELETE"};
  std::string_view text = fuzz::AsText(data, size);
  const std::string method = kMethods[fuzz::TakeByte(text) % 4];
  auto [header_text, rest] = fuzz::SplitAt(text, '\0');
  auto [query_text, body] = fuzz::SplitAt(rest, '\0');

  // Headers as the HTTP layer hands them over (lower-case names); `wire` tells whether every
  // one of them could have come over HTTP at all.
  std::map<std::string, std::string> headers;
  bool wire = true;
  while (!header_text.empty()) {
    auto [line, more] = fuzz::SplitAt(header_text, '\n');
    header_text = more;
    auto [name, value] = fuzz::SplitAt(line, ':');
    wire = wire && IsToken(name) && IsFieldValue(value);
    headers[Lower(name)] = std::string(value);
  }
  auto pairs = api::ParseUrlEncoded(query_text);
  if (!pairs.ok()) {
    fuzz::RequireClientError(pairs.status(), "ParseUrlEncoded");
    return 0;
  }
  std::map<std::string, std::string> query;
  for (auto& [k, v] : *pairs) query[k] = std::move(v);

  auto it = headers.find("authorization");
  if (it != headers.end()) {
    fuzz::RequireClientError(api::ParseV3Authorization(it->second).status(), "ParseV3Auth");
  }
  api::Authenticator authenticator(&fuzz::LookupFuzzKey, clock);
  api::SignedRequest as_sent{method, query, query, headers, std::string(body)};
  fuzz::RequireClientError(authenticator.Authenticate(as_sent).status(), "Authenticate(sent)");
  if (!wire) return 0;

  // Signed as the SDKs sign: every header but Authorization, plus date, nonce and body hash.
  headers.erase("authorization");
  headers["x-acs-date"] = FormatRfc3339(clock.Now());
  headers["x-acs-signature-nonce"] = "fuzz-nonce";
  headers["x-acs-content-sha256"] = api::Sha256Hex(body);
  std::vector<std::string> signed_headers;
  std::string names;
  for (const auto& [name, value] : headers) {
    signed_headers.push_back(name);
    names += (names.empty() ? "" : ";") + name;
  }
  std::string signature =
      api::ComputeV3Signature(method, query, headers, signed_headers,
                              headers["x-acs-content-sha256"], fuzz::kFuzzKey.secret);
  headers["authorization"] = "ACS3-HMAC-SHA256 Credential=" + fuzz::kFuzzKey.id +
                             ",SignedHeaders=" + names + ",Signature=" + signature;
  api::SignedRequest request{method, query, query, headers, std::string(body)};
  StatusOr<core::AccessKey> key = authenticator.Authenticate(request);
  if (!key.ok()) fuzz::Finding("a V3-signed request does not verify: " + key.status().ToString());
  return 0;
}
