#include "api/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "api/percent.h"

namespace openeci::api {
namespace {

constexpr std::string_view kV3Algorithm = "ACS3-HMAC-SHA256";

std::string ToHex(const unsigned char* data, size_t len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0x0F]);
  }
  return out;
}

// Empty-key-safe one-shot HMAC; `md` is EVP_sha1() or EVP_sha256().
std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  static const char kEmpty = 0;
  const char* key_ptr = key.empty() ? &kEmpty : key.data();
  HMAC(md, key_ptr, static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &out_len);
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status Incomplete(std::string message) {
  return Status(StatusClass::kUnauthenticated, "IncompleteSignature", std::move(message));
}

Status Missing(std::string_view name) {
  return MissingParameter("The input parameter \"" + std::string(name) +
                          "\" that is mandatory for processing this request is not supplied.");
}

Status SignatureMismatch(std::string_view string_to_sign) {
  return Status(StatusClass::kUnauthenticated, "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation. server string to sign "
                "is:" +
                    std::string(string_to_sign));
}

// Returns the value of `name` in `m`, or nullptr when absent or empty.
const std::string* FindNonEmpty(const std::map<std::string, std::string>& m,
                                const std::string& name) {
  auto it = m.find(name);
  return it == m.end() || it->second.empty() ? nullptr : &it->second;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  EVP_Digest(data.data(), data.size(), out, &out_len, EVP_sha256(), nullptr);
  return ToHex(out, out_len);
}

std::string HmacSha1Base64(std::string_view key, std::string_view data) {
  const std::string mac = Hmac(EVP_sha1(), key, data);
  std::string out(4 * ((mac.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(mac.data()),
                                static_cast<int>(mac.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  const std::string mac = Hmac(EVP_sha256(), key, data);
  return ToHex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

std::string BuildV1StringToSign(
    std::string_view method, const std::map<std::string, std::string>& params_without_signature) {
  // std::map already iterates in plain byte order of the keys.
  std::string canon;
  for (const auto& [key, value] : params_without_signature) {
    if (key == "Signature") {
      continue;
    }
    if (!canon.empty()) {
      canon.push_back('&');
    }
    canon += PercentEncode(key);
    canon.push_back('=');
    canon += PercentEncode(value);
  }
  std::string out(method);
  out += "&%2F&";
  out += PercentEncode(canon);
  return out;
}

std::string ComputeV1Signature(std::string_view method,
                               const std::map<std::string, std::string>& params_without_signature,
                               std::string_view secret) {
  std::string key(secret);
  key.push_back('&');
  return HmacSha1Base64(key, BuildV1StringToSign(method, params_without_signature));
}

std::map<std::string, std::string> SignV1Request(std::string_view method,
                                                 std::map<std::string, std::string> params,
                                                 const V1Credentials& credentials,
                                                 std::string_view nonce,
                                                 std::string_view timestamp) {
  params["AccessKeyId"] = credentials.access_key_id;
  params["SignatureMethod"] = "HMAC-SHA1";
  params["SignatureVersion"] = "1.0";
  params["SignatureNonce"] = std::string(nonce);
  params["Timestamp"] = std::string(timestamp);
  params.erase("Signature");
  params["Signature"] = ComputeV1Signature(method, params, credentials.access_key_secret);
  return params;
}

StatusOr<V3Authorization> ParseV3Authorization(std::string_view header_value) {
  header_value = Trim(header_value);
  if (header_value.size() <= kV3Algorithm.size() ||
      header_value.substr(0, kV3Algorithm.size()) != kV3Algorithm ||
      header_value[kV3Algorithm.size()] != ' ') {
    return Incomplete("The Authorization header must start with \"ACS3-HMAC-SHA256 \".");
  }
  std::string_view rest = header_value.substr(kV3Algorithm.size() + 1);
  V3Authorization auth;
  bool have_credential = false;
  bool have_signed_headers = false;
  bool have_signature = false;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view field = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (field.empty()) {
      continue;
    }
    const size_t eq = field.find('=');
    if (eq == std::string_view::npos) {
      return Incomplete("The Authorization header field \"" + std::string(field) +
                        "\" is not of the form Name=Value.");
    }
    const std::string_view name = field.substr(0, eq);
    const std::string_view value = Trim(field.substr(eq + 1));
    if (name == "Credential") {
      auth.access_key_id = std::string(value);
      have_credential = !value.empty();
    } else if (name == "SignedHeaders") {
      auth.signed_headers.clear();
      std::string_view list = value;
      while (!list.empty()) {
        const size_t semi = list.find(';');
        const std::string_view h = Trim(list.substr(0, semi));
        list = semi == std::string_view::npos ? std::string_view() : list.substr(semi + 1);
        if (!h.empty()) {
          auth.signed_headers.push_back(ToLower(h));
        }
      }
      have_signed_headers = !auth.signed_headers.empty();
    } else if (name == "Signature") {
      auth.signature = std::string(value);
      have_signature = !value.empty();
    }
  }
  if (!have_credential) {
    return Incomplete("The Authorization header has no Credential.");
  }
  if (!have_signed_headers) {
    return Incomplete("The Authorization header has no SignedHeaders.");
  }
  if (!have_signature) {
    return Incomplete("The Authorization header has no Signature.");
  }
  return auth;
}

std::string BuildV3CanonicalRequest(std::string_view method,
                                    const std::map<std::string, std::string>& decoded_query,
                                    const std::map<std::string, std::string>& lowercase_headers,
                                    const std::vector<std::string>& signed_headers,
                                    std::string_view hashed_payload) {
  std::string out(method);
  out += "\n/\n";
  bool first = true;
  for (const auto& [key, value] : decoded_query) {
    if (!first) {
      out.push_back('&');
    }
    first = false;
    out += PercentEncode(key);
    out.push_back('=');
    out += PercentEncode(value);
  }
  out.push_back('\n');
  for (const std::string& name : signed_headers) {
    auto it = lowercase_headers.find(name);
    out += name;
    out.push_back(':');
    if (it != lowercase_headers.end()) {
      out += Trim(it->second);
    }
    out.push_back('\n');
  }
  out.push_back('\n');
  for (size_t i = 0; i < signed_headers.size(); ++i) {
    if (i > 0) {
      out.push_back(';');
    }
    out += signed_headers[i];
  }
  out.push_back('\n');
  out += hashed_payload;
  return out;
}

std::string BuildV3StringToSign(std::string_view canonical_request) {
  std::string out(kV3Algorithm);
  out.push_back('\n');
  out += Sha256Hex(canonical_request);
  return out;
}

std::string ComputeV3Signature(std::string_view method,
                               const std::map<std::string, std::string>& decoded_query,
                               const std::map<std::string, std::string>& lowercase_headers,
                               const std::vector<std::string>& signed_headers,
                               std::string_view hashed_payload, std::string_view secret) {
  return HmacSha256Hex(
      secret, BuildV3StringToSign(BuildV3CanonicalRequest(method, decoded_query, lowercase_headers,
                                                          signed_headers, hashed_payload)));
}

struct Authenticator::Claims {
  bool v3 = false;
  std::string key_id;
  std::string timestamp;
  std::string timestamp_name;  // "Timestamp" or "x-acs-date", for error messages
  std::string nonce;
  std::string signature;                    // as sent
  std::vector<std::string> signed_headers;  // V3 only
};

Authenticator::Authenticator(KeyLookup lookup, const Clock& clock, std::chrono::seconds max_skew)
    : lookup_(std::move(lookup)), clock_(clock), max_skew_(max_skew) {}

StatusOr<Authenticator::Claims> Authenticator::ExtractV3(const SignedRequest& req) const {
  ASSIGN_OR_RETURN(V3Authorization auth, ParseV3Authorization(req.headers.at("authorization")));
  // The date, nonce and body hash must be covered by the signature, or they could be replayed
  // or swapped freely; every official SDK signs them.
  for (const char* required : {"x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}) {
    if (FindNonEmpty(req.headers, required) == nullptr) {
      return Missing(required);
    }
    if (std::find(auth.signed_headers.begin(), auth.signed_headers.end(), required) ==
        auth.signed_headers.end()) {
      return Incomplete("The header \"" + std::string(required) +
                        "\" must be listed in SignedHeaders.");
    }
  }
  for (const std::string& name : auth.signed_headers) {
    if (req.headers.find(name) == req.headers.end()) {
      return Missing(name);
    }
  }
  Claims c;
  c.v3 = true;
  c.key_id = std::move(auth.access_key_id);
  c.timestamp = req.headers.at("x-acs-date");
  c.timestamp_name = "x-acs-date";
  c.nonce = req.headers.at("x-acs-signature-nonce");
  c.signature = std::move(auth.signature);
  c.signed_headers = std::move(auth.signed_headers);
  return c;
}

StatusOr<Authenticator::Claims> Authenticator::ExtractV1(const SignedRequest& req) const {
  for (const char* required :
       {"AccessKeyId", "Timestamp", "SignatureNonce", "SignatureMethod", "SignatureVersion"}) {
    if (FindNonEmpty(req.params, required) == nullptr) {
      return Missing(required);
    }
  }
  if (req.params.at("SignatureMethod") != "HMAC-SHA1") {
    return InvalidParameter("The parameter \"SignatureMethod\" must be HMAC-SHA1, got \"" +
                            req.params.at("SignatureMethod") + "\".");
  }
  if (req.params.at("SignatureVersion") != "1.0") {
    return InvalidParameter("The parameter \"SignatureVersion\" must be 1.0, got \"" +
                            req.params.at("SignatureVersion") + "\".");
  }
  Claims c;
  c.key_id = req.params.at("AccessKeyId");
  c.timestamp = req.params.at("Timestamp");
  c.timestamp_name = "Timestamp";
  c.nonce = req.params.at("SignatureNonce");
  c.signature = req.params.at("Signature");
  return c;
}

Status Authenticator::CheckTimestamp(const Claims& claims) const {
  const std::optional<TimePoint> ts = ParseRfc3339(claims.timestamp);
  if (!ts) {
    return InvalidParameterCode("InvalidTimeStamp.Format",
                                "The specified " + claims.timestamp_name + " \"" +
                                    claims.timestamp +
                                    "\" is not in the format YYYY-MM-DDThh:mm:ssZ.");
  }
  const auto skew = clock_.Now() - *ts;
  if (skew > max_skew_ || skew < -max_skew_) {
    return InvalidParameterCode("InvalidTimeStamp.Expired",
                                "The specified " + claims.timestamp_name + " \"" +
                                    claims.timestamp + "\" is expired: it differs from the " +
                                    "server time " + FormatRfc3339(clock_.Now()) + " by more " +
                                    "than " + std::to_string(max_skew_.count()) + " seconds.");
  }
  return Status::Ok();
}

namespace {
Status KeyNotFound() {
  return Status(StatusClass::kUnauthenticated, "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.");
}
Status KeyDisabled() {
  return Status(StatusClass::kPermissionDenied, "Forbidden.AccessKeyDisabled",
                "The Access Key is disabled.");
}
}  // namespace

StatusOr<core::AccessKey> Authenticator::LookupKey(const std::string& key_id) const {
  StatusOr<core::AccessKey> key = lookup_(key_id);
  if (!key.ok() && key.status().cls() == StatusClass::kNotFound) return KeyNotFound();
  return key;
}

Authenticator::NonceDigest Authenticator::DigestOf(const std::string& key_id,
                                                   const std::string& nonce) {
  std::string input = key_id;
  input.push_back('\0');
  input += nonce;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  EVP_Digest(input.data(), input.size(), out, &out_len, EVP_sha256(), nullptr);
  NonceDigest d;
  std::memcpy(&d.hi, out, sizeof(d.hi));
  std::memcpy(&d.lo, out + sizeof(d.hi), sizeof(d.lo));
  return d;
}

Status Authenticator::RecordNonce(const std::string& key_id, const std::string& nonce) {
  const TimePoint now = clock_.Now();
  const TimePoint horizon = now - 2 * max_skew_;
  const NonceDigest digest = DigestOf(key_id, nonce);
  std::lock_guard<std::mutex> lock(mu_);
  while (!nonce_expiry_.empty() && nonce_expiry_.front().first < horizon) {
    nonces_.erase(nonce_expiry_.front().second);
    nonce_expiry_.pop_front();
  }
  if (!nonces_.insert(digest).second) {
    return InvalidParameterCode("SignatureNonceUsed", "The request signed with SignatureNonce \"" +
                                                          nonce + "\" has been used already.");
  }
  nonce_expiry_.emplace_back(now, digest);
  return Status::Ok();
}

StatusOr<core::AccessKey> Authenticator::Authenticate(const SignedRequest& req) {
  auto auth_header = req.headers.find("authorization");
  const bool v3 = auth_header != req.headers.end() &&
                  auth_header->second.starts_with(std::string(kV3Algorithm) + " ");
  if (!v3 && req.params.find("Signature") == req.params.end()) {
    return Missing("Signature");
  }
  ASSIGN_OR_RETURN(const Claims claims, v3 ? ExtractV3(req) : ExtractV1(req));
  RETURN_IF_ERROR(CheckTimestamp(claims));
  ASSIGN_OR_RETURN(core::AccessKey key, LookupKey(claims.key_id));

  if (claims.v3) {
    const std::string& hashed_payload = req.headers.at("x-acs-content-sha256");
    if (ToLower(hashed_payload) != Sha256Hex(req.body)) {
      return Status(StatusClass::kUnauthenticated, "SignatureDoesNotMatch",
                    "The header \"x-acs-content-sha256\" is not the SHA-256 of the request body.");
    }
    const std::string canonical = BuildV3CanonicalRequest(req.method, req.query, req.headers,
                                                          claims.signed_headers, hashed_payload);
    const std::string string_to_sign = BuildV3StringToSign(canonical);
    if (!ConstantTimeEquals(ToLower(claims.signature), HmacSha256Hex(key.secret, string_to_sign))) {
      return SignatureMismatch(string_to_sign + " (canonical request:\n" + canonical + ")");
    }
  } else {
    const std::string string_to_sign = BuildV1StringToSign(req.method, req.params);
    std::string secret = key.secret + "&";
    if (!ConstantTimeEquals(claims.signature, HmacSha1Base64(secret, string_to_sign))) {
      return SignatureMismatch(string_to_sign);
    }
  }
  if (!key.enabled) return KeyDisabled();
  RETURN_IF_ERROR(RecordNonce(claims.key_id, claims.nonce));
  return key;
}

Status Authenticator::CheckUsable(const std::string& key_id, const std::string& account_id) const {
  ASSIGN_OR_RETURN(core::AccessKey key, LookupKey(key_id));
  if (key.account_id != account_id) return KeyNotFound();
  if (!key.enabled) return KeyDisabled();
  return Status::Ok();
}

}  // namespace openeci::api
