// Fuzz target: the RPC V1 signature (HMAC-SHA1 over the canonicalised parameters). Input: one
// byte choosing GET or POST, then a query string. Properties: the request as sent (its own,
// almost surely wrong, Signature) is refused with a client error; the same parameters signed
// as a client signs them (SignV1Request), sent over the wire (percent-encoded, decoded again),
// authenticate.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "api/percent.h"
#include "api/signature.h"
#include "common/clock.h"
#include "fuzz_check.h"

namespace {

using namespace openeci;

// What the server makes of a query string: decoded pairs, the last of a repeated key winning.
StatusOr<std::map<std::string, std::string>> Decode(std::string_view query) {
  ASSIGN_OR_RETURN(auto pairs, api::ParseUrlEncoded(query));
  std::map<std::string, std::string> out;
  for (auto& [k, v] : pairs) out[k] = std::move(v);
  return out;
}

std::string Encode(const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    out += (out.empty() ? "" : "&") + api::PercentEncode(k) + "=" + api::PercentEncode(v);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const FakeClock clock{FromUnixMillis(1714564800000)};
  std::string_view text = fuzz::AsText(data, size);
  const std::string method = fuzz::TakeByte(text) % 2 ? "POST" : "GET";
  StatusOr<std::map<std::string, std::string>> params = Decode(text);
  if (!params.ok()) {
    fuzz::RequireClientError(params.status(), "ParseUrlEncoded");
    return 0;
  }
  api::BuildV1StringToSign(method, *params);

  api::SignedRequest as_sent{method, *params, *params, {}, ""};
  api::Authenticator authenticator(&fuzz::LookupFuzzKey, clock);
  StatusOr<core::AccessKey> sent = authenticator.Authenticate(as_sent);
  fuzz::RequireClientError(sent.status(), "Authenticate(as sent)");

  std::map<std::string, std::string> signed_params =
      api::SignV1Request(method, *params, {fuzz::kFuzzKey.id, fuzz::kFuzzKey.secret}, "fuzz-nonce",
                         FormatRfc3339(clock.Now()));
  StatusOr<std::map<std::string, std::string>> received = Decode(Encode(signed_params));
  if (!received.ok())
    fuzz::Finding("a signed query does not decode: " + received.status().ToString());
  api::SignedRequest request{method, *received, *received, {}, ""};
  StatusOr<core::AccessKey> key = authenticator.Authenticate(request);
  if (!key.ok()) fuzz::Finding("a V1-signed request does not verify: " + key.status().ToString());
  return 0;
}
