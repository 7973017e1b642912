// Request authentication for the two signature schemes the official clients use: RPC V1
// (HMAC-SHA1, the `Signature` parameter) and ACS3-HMAC-SHA256 (the `Authorization` header). The
// canonical forms are those of the SDK wire contract, sections 3 and 4.
//
// The free functions are stateless and thread-safe. Authenticator is thread-safe: it guards its
// nonce cache with an internal mutex and calls the key lookup without holding it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "core/model.h"

namespace openeci::api {

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Standard padded Base64 of HMAC-SHA1(key, data).
std::string HmacSha1Base64(std::string_view key, std::string_view data);
// Lowercase hex HMAC-SHA256(key, data).
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// V1 StringToSign: METHOD "&%2F&" pct(canonicalised params). `params_without_signature` are the
// decoded query and form parameters; a `Signature` entry, if present, is ignored.
std::string BuildV1StringToSign(std::string_view method,
                                const std::map<std::string, std::string>& params_without_signature);
// Base64(HMAC-SHA1(secret + "&", BuildV1StringToSign(...))).
std::string ComputeV1Signature(std::string_view method,
                               const std::map<std::string, std::string>& params_without_signature,
                               std::string_view secret);

// The signing side of V1, for clients (the `eci` CLI): what a client needs to authenticate a
// request. `nonce` must be unique per request and `timestamp` an RFC 3339 UTC time.
struct V1Credentials {
  std::string access_key_id;
  std::string access_key_secret;
};

// Returns `params` plus the V1 common parameters (AccessKeyId, SignatureMethod,
// SignatureVersion, SignatureNonce, Timestamp) and the `Signature` over all of them, ready to be
// sent as a query string or form body with `method`. The verifier above accepts exactly this.
std::map<std::string, std::string> SignV1Request(std::string_view method,
                                                 std::map<std::string, std::string> params,
                                                 const V1Credentials& credentials,
                                                 std::string_view nonce,
                                                 std::string_view timestamp);

// The parts of an `Authorization: ACS3-HMAC-SHA256 ...` header.
struct V3Authorization {
  std::string access_key_id;
  std::vector<std::string> signed_headers;  // lower case, in the order the client listed them
  std::string signature;                    // lowercase hex as sent
};

// Parses `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<h1;h2>,Signature=<hex>`. Spaces after
// the commas and unknown fields are tolerated. Anything malformed or missing gives
// Status(kUnauthenticated, "IncompleteSignature", ...).
StatusOr<V3Authorization> ParseV3Authorization(std::string_view header_value);

// The V3 CanonicalRequest. Canonical headers are rebuilt from `signed_headers` in the given order
// (a header absent from `lowercase_headers` contributes an empty value).
std::string BuildV3CanonicalRequest(std::string_view method,
                                    const std::map<std::string, std::string>& decoded_query,
                                    const std::map<std::string, std::string>& lowercase_headers,
                                    const std::vector<std::string>& signed_headers,
                                    std::string_view hashed_payload);
// "ACS3-HMAC-SHA256\n" + Sha256Hex(canonical_request).
std::string BuildV3StringToSign(std::string_view canonical_request);
// HmacSha256Hex(secret, BuildV3StringToSign(BuildV3CanonicalRequest(...))).
std::string ComputeV3Signature(std::string_view method,
                               const std::map<std::string, std::string>& decoded_query,
                               const std::map<std::string, std::string>& lowercase_headers,
                               const std::vector<std::string>& signed_headers,
                               std::string_view hashed_payload, std::string_view secret);

// What the HTTP layer hands to the Authenticator.
struct SignedRequest {
  std::string method;
  std::map<std::string, std::string> query;    // decoded query only
  std::map<std::string, std::string> params;   // decoded query + form merged
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // raw bytes as received
};

// Verifies a request's signature, timestamp and nonce and returns the key that signed it.
//
// Scheme choice: an `authorization` header starting with "ACS3-HMAC-SHA256 " means V3; otherwise
// a `Signature` parameter means V1; otherwise MissingParameter. Checks run in the order parse ->
// required parts -> timestamp -> key lookup -> signature -> key enabled -> nonce. The disabled
// check follows the signature so that only the key's owner learns the key is disabled. A nonce is
// recorded (per access key id) only once the signature has verified; nonces are remembered for
// 2 x max_skew and pruned lazily, so the cache stays bounded.
//
// Thread-safe.
class Authenticator {
 public:
  // Returns the key, or a status of class kNotFound when there is no such key. Other failures
  // are passed through to the caller unchanged. Called without the internal lock held.
  using KeyLookup = std::function<StatusOr<core::AccessKey>(const std::string& key_id)>;

  Authenticator(KeyLookup lookup, const Clock& clock,
                std::chrono::seconds max_skew = std::chrono::minutes(15));

  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  StatusOr<core::AccessKey> Authenticate(const SignedRequest& req);
  // Ok while `key_id` exists, belongs to `account_id` and is enabled (for credentials handed
  // out earlier, such as exec tokens); otherwise the error Authenticate would answer.
  Status CheckUsable(const std::string& key_id, const std::string& account_id) const;

 private:
  // The scheme-independent facts extracted from a request before any key is looked up.
  struct Claims;

  StatusOr<Claims> ExtractV3(const SignedRequest& req) const;
  StatusOr<Claims> ExtractV1(const SignedRequest& req) const;
  Status CheckTimestamp(const Claims& claims) const;
  StatusOr<core::AccessKey> LookupKey(const std::string& key_id) const;
  // Records `nonce` for `key_id`, or fails with SignatureNonceUsed if it is still remembered.
  Status RecordNonce(const std::string& key_id, const std::string& nonce);

  const KeyLookup lookup_;
  const Clock& clock_;
  const std::chrono::seconds max_skew_;

  // A remembered (key id, nonce): the first 128 bits of SHA-256(key id, NUL, nonce). 16 bytes
  // instead of two strings and two tree nodes, so that the 30 minutes remembered stay small at
  // thousands of requests a second.
  struct NonceDigest {
    uint64_t hi = 0;
    uint64_t lo = 0;
    bool operator==(const NonceDigest&) const = default;
  };
  struct NonceDigestHash {
    size_t operator()(const NonceDigest& d) const { return static_cast<size_t>(d.lo); }
  };
  static NonceDigest DigestOf(const std::string& key_id, const std::string& nonce);

  std::mutex mu_;
  std::unordered_set<NonceDigest, NonceDigestHash> nonces_;  // guarded by mu_
  // (recording time, digest) in recording order, the pruning order; guarded by mu_. Should the
  // clock step back, entries are pruned late, never early.
  std::deque<std::pair<TimePoint, NonceDigest>> nonce_expiry_;
};

}  // namespace openeci::api
