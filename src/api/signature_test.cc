#include "api/signature.h"

#include <gtest/gtest.h>

#include "api/percent.h"

namespace openeci::api {
namespace {

using Map = std::map<std::string, std::string>;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kNonce[] = "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf";
constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kV3Signature[] = "db4ba4d886dc49c3d207425ee490998a1ecad79ab895f39693817048a30f6221";

// The common inputs of the contract's section 5, as pop-core (style C) sends them.
Map PopCoreParams() {
  return {{"AccessKeyId", "testid"},
          {"Action", "DescribeContainerGroups"},
          {"ContainerGroupIds", "[\"eci-1\",\"eci-2\"]"},
          {"Format", "JSON"},
          {"Limit", "20"},
          {"RegionId", "cn-hangzhou"},
          {"SignatureMethod", "HMAC-SHA1"},
          {"SignatureNonce", kNonce},
          {"SignatureVersion", "1.0"},
          {"Tag.1.Key", "env"},
          {"Tag.1.Value", "a b*c~d+e/\xC3\xA9"},
          {"Timestamp", "2024-05-01T12:00:00Z"},
          {"Version", "2018-08-08"}};
}

// The same request made with another access key.
Map PopCoreParamsFor(const std::string& key_id) {
  Map params = PopCoreParams();
  params["AccessKeyId"] = key_id;
  return params;
}

Map V3Query() {
  return {{"ContainerGroupIds", "[\"eci-1\",\"eci-2\"]"},
          {"Limit", "20"},
          {"RegionId", "cn-hangzhou"},
          {"Tag.1.Key", "env"},
          {"Tag.1.Value", "a b*c~d+e/\xC3\xA9"}};
}

const std::vector<std::string> kV3SignedHeaders = {
    "host",       "x-acs-action",          "x-acs-content-sha256", "x-acs-credentials-provider",
    "x-acs-date", "x-acs-signature-nonce", "x-acs-version"};

Map V3Headers() {
  return {{"host", "127.0.0.1:18080"},
          {"x-acs-action", "DescribeContainerGroups"},
          {"x-acs-content-sha256", kEmptySha},
          {"x-acs-credentials-provider", "static_ak"},
          {"x-acs-date", "2024-05-01T12:00:00Z"},
          {"x-acs-signature-nonce", kNonce},
          {"x-acs-version", "2018-08-08"},
          {"user-agent", "AlibabaCloud (linux; x64) Node.js/v20 Core/1.0"},
          {"accept", "application/json"},
          {"authorization",
           std::string("ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;"
                       "x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;"
                       "x-acs-signature-nonce;x-acs-version,Signature=") +
               kV3Signature}};
}

// ---- Primitives ----

TEST(Digests, KnownValues) {
  EXPECT_EQ(Sha256Hex(""), kEmptySha);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 2202 / RFC 4231 test case 2.
  EXPECT_EQ(HmacSha1Base64("Jefe", "what do ya want for nothing?"), "7/zfauXrL6LSdBbV8YTfnCWafHk=");
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_FALSE(HmacSha256Hex("", "x").empty());
}

// ---- V1 worked vectors (contract section 5) ----

TEST(V1Signature, PopCorePostVector) {
  const Map params = PopCoreParams();
  EXPECT_EQ(BuildV1StringToSign("POST", params),
            "POST&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeContainerGroups%26"
            "ContainerGroupIds%3D%255B%2522eci-1%2522%252C%2522eci-2%2522%255D%26Format%3DJSON%26"
            "Limit%3D20%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D"
            "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Tag.1.Key%3Denv%26"
            "Tag.1.Value%3Da%2520b%252Ac~d%252Be%252F%25C3%25A9%26Timestamp%3D2024-05-01T12%253A00"
            "%253A00Z%26Version%3D2018-08-08");
  EXPECT_EQ(ComputeV1Signature("POST", params, "testsecret"), "rHAf3ixxkncI6EmUEVtDP7BWd6g=");
}

TEST(V1Signature, SignatureParamIsIgnored) {
  Map params = PopCoreParams();
  params["Signature"] = "whatever";
  EXPECT_EQ(ComputeV1Signature("POST", params, "testsecret"), "rHAf3ixxkncI6EmUEVtDP7BWd6g=");
}

TEST(V1Signature, GetVector) {
  EXPECT_EQ(ComputeV1Signature("GET", PopCoreParams(), "testsecret"),
            "t/AfRRdeJ6xV8UcBQUFfQTUmIIQ=");
}

TEST(V1Signature, StyleBVector) {
  Map params = PopCoreParams();
  params["Format"] = "json";
  EXPECT_EQ(ComputeV1Signature("POST", params, "testsecret"), "jr4HVkX9hXjrzYqJbpZikr8fVME=");
}

TEST(V1Signature, EcsShapedVector) {
  const Map params = {{"AccessKeyId", "testid"},
                      {"Action", "DescribeRegions"},
                      {"Format", "XML"},
                      {"SignatureMethod", "HMAC-SHA1"},
                      {"SignatureNonce", kNonce},
                      {"SignatureVersion", "1.0"},
                      {"Timestamp", "2016-02-23T12:46:24Z"},
                      {"Version", "2014-05-26"}};
  EXPECT_EQ(ComputeV1Signature("GET", params, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
}

TEST(V1Signature, CanonicalisationEdgeCases) {
  EXPECT_EQ(BuildV1StringToSign("GET", {}), "GET&%2F&");
  EXPECT_EQ(BuildV1StringToSign("GET", {{"Empty", ""}}), "GET&%2F&Empty%3D");
  // Space, *, ~, +, / and é each get their strict encoding, then are encoded again.
  EXPECT_EQ(BuildV1StringToSign("GET", {{"K", " *~+/\xC3\xA9"}}),
            "GET&%2F&K%3D%2520%252A~%252B%252F%25C3%25A9");
  // Byte order: upper case sorts before lower case, '.' before digits.
  EXPECT_EQ(BuildV1StringToSign("GET", {{"b", "1"}, {"B", "2"}, {"A.1", "3"}, {"A1", "4"}}),
            "GET&%2F&A.1%3D3%26A1%3D4%26B%3D2%26b%3D1");
}

// The value that arrives on the wire in Node's encoding signs the same as the strict one.
TEST(V1Signature, WireDecodingFeedsCanonicalForm) {
  auto parsed = ParseUrlEncoded("Arg.2=a*b~c%2Bd%20e!%27()");
  ASSERT_TRUE(parsed.ok());
  Map params(parsed->begin(), parsed->end());
  EXPECT_EQ(BuildV1StringToSign("POST", params),
            "POST&%2F&Arg.2%3Da%252Ab~c%252Bd%2520e%2521%2527%2528%2529");
}

// ---- V3 worked vector ----

TEST(V3Signature, WorkedVector) {
  const std::string canonical =
      BuildV3CanonicalRequest("POST", V3Query(), V3Headers(), kV3SignedHeaders, kEmptySha);
  EXPECT_EQ(
      canonical,
      "POST\n"
      "/\n"
      "ContainerGroupIds=%5B%22eci-1%22%2C%22eci-2%22%5D&Limit=20&RegionId=cn-hangzhou&"
      "Tag.1.Key=env&Tag.1.Value=a%20b%2Ac~d%2Be%2F%C3%A9\n"
      "host:127.0.0.1:18080\n"
      "x-acs-action:DescribeContainerGroups\n"
      "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-acs-credentials-provider:static_ak\n"
      "x-acs-date:2024-05-01T12:00:00Z\n"
      "x-acs-signature-nonce:3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\n"
      "x-acs-version:2018-08-08\n"
      "\n"
      "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;"
      "x-acs-signature-nonce;x-acs-version\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex(canonical),
            "dfbf6c55598f49347d2b4f5acd79e4547032f0ed16d57fe3949d649f59550c4d");
  EXPECT_EQ(BuildV3StringToSign(canonical),
            "ACS3-HMAC-SHA256\ndfbf6c55598f49347d2b4f5acd79e4547032f0ed16d57fe3949d649f59550c4d");
  EXPECT_EQ(
      ComputeV3Signature("POST", V3Query(), V3Headers(), kV3SignedHeaders, kEmptySha, "testsecret"),
      kV3Signature);
}

TEST(V3Signature, EmptyQueryAndTrimmedHeaderValues) {
  EXPECT_EQ(BuildV3CanonicalRequest("POST", {}, {{"host", "  h:1 \t"}, {"x-acs-a", ""}},
                                    {"host", "x-acs-a"}, "abc"),
            "POST\n/\n\nhost:h:1\nx-acs-a:\n\nhost;x-acs-a\nabc");
}

TEST(V3Signature, QueryValuesUseStrictEncoding) {
  EXPECT_EQ(BuildV3CanonicalRequest("GET", {{"E", ""}, {"K", " *~+/\xC3\xA9"}}, {}, {}, "x"),
            "GET\n/\nE=&K=%20%2A~%2B%2F%C3%A9\n\n\nx");
}

TEST(ParseV3Authorization, ParsesTheSdkHeader) {
  auto auth = ParseV3Authorization(V3Headers().at("authorization"));
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_EQ(auth->access_key_id, "testid");
  EXPECT_EQ(auth->signed_headers, kV3SignedHeaders);
  EXPECT_EQ(auth->signature, kV3Signature);
}

TEST(ParseV3Authorization, ToleratesSpacesAndCase) {
  auto auth = ParseV3Authorization(
      "ACS3-HMAC-SHA256 Credential=k, SignedHeaders=Host;X-Acs-Date, Signature=ab");
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->signed_headers, (std::vector<std::string>{"host", "x-acs-date"}));
}

TEST(ParseV3Authorization, RejectsMalformed) {
  for (const char* bad :
       {"", "ACS3-HMAC-SHA256", "ACS3-HMAC-SHA256 ",
        "HMAC-SHA1 Credential=a,SignedHeaders=h,Signature=s",
        "ACS3-HMAC-SHA256 SignedHeaders=h,Signature=s", "ACS3-HMAC-SHA256 Credential=a,Signature=s",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=h",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=;,Signature=s",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders,Signature=s"}) {
    auto auth = ParseV3Authorization(bad);
    ASSERT_FALSE(auth.ok()) << bad;
    EXPECT_EQ(auth.status().cls(), StatusClass::kUnauthenticated) << bad;
    EXPECT_EQ(auth.status().api_code(), "IncompleteSignature") << bad;
  }
}

// ---- Authenticator ----

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest()
      : clock_(*ParseRfc3339("2024-05-01T12:00:00Z")),
        auth_(
            [this](const std::string& id) -> StatusOr<core::AccessKey> {
              ++lookups_;
              if (id == "testid") {
                return core::AccessKey{.id = id, .secret = "testsecret", .account_id = "1"};
              }
              if (id == "other") {
                return core::AccessKey{.id = id, .secret = "othersecret", .account_id = "2"};
              }
              if (id == "disabled") {
                return core::AccessKey{
                    .id = id, .secret = "offsecret", .account_id = "3", .enabled = false};
              }
              if (id == "broken") {
                return UnavailableError("store down");
              }
              return NotFoundError("AccessKey.NotFound", "no such key");
            },
            clock_) {}

  // A pop-core POST request for the section 5 vector, re-signed with `secret` for `key_id`.
  static SignedRequest V1Request(Map params, const std::string& secret = "testsecret",
                                 const std::string& method = "POST") {
    params["Signature"] = ComputeV1Signature(method, params, secret);
    SignedRequest req;
    req.method = method;
    req.params = std::move(params);
    req.headers = {{"x-acs-action", "DescribeContainerGroups"}};
    return req;
  }

  static SignedRequest V3Request() {
    SignedRequest req;
    req.method = "POST";
    req.query = V3Query();
    req.params = V3Query();
    req.headers = V3Headers();
    return req;
  }

  // Re-signs a V3 request after its headers, query or body were changed.
  static void ResignV3(SignedRequest& req, const std::string& key_id = "testid",
                       const std::string& secret = "testsecret") {
    auto parsed = ParseV3Authorization(req.headers.at("authorization"));
    ASSERT_TRUE(parsed.ok());
    std::string list;
    for (const std::string& h : parsed->signed_headers) {
      list += (list.empty() ? "" : ";") + h;
    }
    req.headers["authorization"] =
        "ACS3-HMAC-SHA256 Credential=" + key_id + ",SignedHeaders=" + list + ",Signature=" +
        ComputeV3Signature(req.method, req.query, req.headers, parsed->signed_headers,
                           req.headers.at("x-acs-content-sha256"), secret);
  }

  static void ExpectError(const StatusOr<core::AccessKey>& result, StatusClass cls,
                          const std::string& code, const std::string& mentions) {
    ASSERT_FALSE(result.ok()) << "expected " << code;
    EXPECT_EQ(result.status().cls(), cls) << result.status().ToString();
    EXPECT_EQ(result.status().api_code(), code) << result.status().ToString();
    EXPECT_NE(result.status().message().find(mentions), std::string::npos)
        << result.status().message() << " should mention " << mentions;
  }

  // Signs the section 5 request with `key_id`/`secret` in both schemes; both must fail alike.
  void ExpectErrorInBothSchemes(const std::string& key_id, const std::string& secret,
                                StatusClass cls, const std::string& code,
                                const std::string& message) {
    ExpectError(auth_.Authenticate(V1Request(PopCoreParamsFor(key_id), secret)), cls, code,
                message);
    SignedRequest req = V3Request();
    ResignV3(req, key_id, secret);
    ExpectError(auth_.Authenticate(req), cls, code, message);
  }

  FakeClock clock_;
  int lookups_ = 0;
  Authenticator auth_;
};

TEST_F(AuthenticatorTest, AcceptsPopCorePostVector) {
  SignedRequest req = V1Request(PopCoreParams());
  EXPECT_EQ(req.params.at("Signature"), "rHAf3ixxkncI6EmUEVtDP7BWd6g=");
  auto key = auth_.Authenticate(req);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->id, "testid");
  EXPECT_EQ(key->account_id, "1");
}

// The client side (SignV1Request, used by the eci CLI) produces what the verifier accepts.
TEST_F(AuthenticatorTest, AcceptsWhatSignV1RequestSigns) {
  Map params = {{"Action", "DescribeRegions"}, {"Format", "JSON"}, {"Version", "2018-08-08"},
                {"Template", "{\"a\": \"b c/é\"}"}};
  SignedRequest req;
  req.method = "POST";
  req.params = SignV1Request("POST", params, {"testid", "testsecret"}, kNonce,
                             "2024-05-01T12:00:00Z");
  EXPECT_EQ(req.params.at("SignatureMethod"), "HMAC-SHA1");
  EXPECT_EQ(req.params.at("AccessKeyId"), "testid");
  auto key = auth_.Authenticate(req);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  req.params = SignV1Request("POST", params, {"testid", "wrongsecret"}, "other-nonce",
                             "2024-05-01T12:00:00Z");
  ExpectError(auth_.Authenticate(req), StatusClass::kUnauthenticated, "SignatureDoesNotMatch",
              "string to sign");
}

TEST_F(AuthenticatorTest, AcceptsGetVector) {
  SignedRequest req = V1Request(PopCoreParams(), "testsecret", "GET");
  EXPECT_EQ(req.params.at("Signature"), "t/AfRRdeJ6xV8UcBQUFfQTUmIIQ=");
  EXPECT_TRUE(auth_.Authenticate(req).ok());
}

TEST_F(AuthenticatorTest, AcceptsV3Vector) {
  auto key = auth_.Authenticate(V3Request());
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->id, "testid");
}

TEST_F(AuthenticatorTest, AcceptsV3WithFormBody) {
  SignedRequest req = V3Request();
  req.body = "Limit=30&Name=a+b";
  req.params["Name"] = "a b";
  req.headers["content-type"] = "application/x-www-form-urlencoded";
  req.headers["x-acs-content-sha256"] = Sha256Hex(req.body);
  req.headers["authorization"] =
      "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=content-type;host;x-acs-action;"
      "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=0";
  ResignV3(req);
  auto key = auth_.Authenticate(req);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
}

TEST_F(AuthenticatorTest, NothingToAuthenticate) {
  SignedRequest req;
  req.method = "GET";
  req.params = {{"Action", "DescribeRegions"}};
  ExpectError(auth_.Authenticate(req), StatusClass::kInvalidArgument, "MissingParameter",
              "\"Signature\"");
  // An Authorization header of another scheme does not count as a signature.
  req.headers["authorization"] = "Bearer abc";
  ExpectError(auth_.Authenticate(req), StatusClass::kInvalidArgument, "MissingParameter",
              "\"Signature\"");
}

TEST_F(AuthenticatorTest, V1MissingSigningParameters) {
  for (const char* name :
       {"AccessKeyId", "Timestamp", "SignatureNonce", "SignatureMethod", "SignatureVersion"}) {
    Map params = PopCoreParams();
    params.erase(name);
    ExpectError(auth_.Authenticate(V1Request(params)), StatusClass::kInvalidArgument,
                "MissingParameter",
                std::string("The input parameter \"") + name +
                    "\" that is mandatory for processing this request is not supplied.");
  }
  Map params = PopCoreParams();
  params["SignatureNonce"] = "";
  ExpectError(auth_.Authenticate(V1Request(params)), StatusClass::kInvalidArgument,
              "MissingParameter", "\"SignatureNonce\"");
  EXPECT_EQ(lookups_, 0);
}

TEST_F(AuthenticatorTest, V1WrongMethodOrVersion) {
  Map params = PopCoreParams();
  params["SignatureMethod"] = "HMAC-SHA256";
  ExpectError(auth_.Authenticate(V1Request(params)), StatusClass::kInvalidArgument,
              "InvalidParameter", "SignatureMethod");
  params = PopCoreParams();
  params["SignatureVersion"] = "2.0";
  ExpectError(auth_.Authenticate(V1Request(params)), StatusClass::kInvalidArgument,
              "InvalidParameter", "SignatureVersion");
}

TEST_F(AuthenticatorTest, V3MissingHeaders) {
  for (const char* name : {"x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}) {
    SignedRequest req = V3Request();
    req.headers.erase(name);
    ExpectError(auth_.Authenticate(req), StatusClass::kInvalidArgument, "MissingParameter",
                std::string("\"") + name + "\"");
  }
  // A signed header that did not arrive.
  SignedRequest req = V3Request();
  req.headers.erase("x-acs-credentials-provider");
  ExpectError(auth_.Authenticate(req), StatusClass::kInvalidArgument, "MissingParameter",
              "\"x-acs-credentials-provider\"");
}

TEST_F(AuthenticatorTest, V3MalformedAuthorization) {
  SignedRequest req = V3Request();
  req.headers["authorization"] = "ACS3-HMAC-SHA256 Credential=testid";
  ExpectError(auth_.Authenticate(req), StatusClass::kUnauthenticated, "IncompleteSignature",
              "SignedHeaders");
}

TEST_F(AuthenticatorTest, V3DateAndNonceMustBeSigned) {
  SignedRequest req = V3Request();
  req.headers["authorization"] =
      "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-content-sha256;"
      "x-acs-signature-nonce,Signature=0";
  ResignV3(req);
  ExpectError(auth_.Authenticate(req), StatusClass::kUnauthenticated, "IncompleteSignature",
              "x-acs-date");
}

TEST_F(AuthenticatorTest, TimestampFormat) {
  Map params = PopCoreParams();
  params["Timestamp"] = "yesterday";
  ExpectError(auth_.Authenticate(V1Request(params)), StatusClass::kInvalidArgument,
              "InvalidTimeStamp.Format", "Timestamp");
  SignedRequest req = V3Request();
  req.headers["x-acs-date"] = "2024-13-01T00:00:00Z";
  ExpectError(auth_.Authenticate(req), StatusClass::kInvalidArgument, "InvalidTimeStamp.Format",
              "x-acs-date");
  EXPECT_EQ(lookups_, 0);
}

TEST_F(AuthenticatorTest, TimestampSkewBothDirections) {
  const TimePoint t0 = clock_.Now();
  // The request says 12:00:00; the server is 15 minutes later: still fine.
  clock_.Set(t0 + minutes(15));
  EXPECT_TRUE(auth_.Authenticate(V3Request()).ok());
  // One second more and it is expired.
  clock_.Set(t0 + minutes(15) + seconds(1));
  ExpectError(auth_.Authenticate(V1Request(PopCoreParams())), StatusClass::kInvalidArgument,
              "InvalidTimeStamp.Expired", "Timestamp");
  // A client clock running ahead of the server.
  clock_.Set(t0 - minutes(15) - seconds(1));
  ExpectError(auth_.Authenticate(V1Request(PopCoreParams())), StatusClass::kInvalidArgument,
              "InvalidTimeStamp.Expired", "Timestamp");
  clock_.Set(t0 - minutes(14));
  Map params = PopCoreParams();
  params["SignatureNonce"] = "a-fresh-nonce";  // the V3 request above used kNonce
  EXPECT_TRUE(auth_.Authenticate(V1Request(params)).ok());
}

TEST_F(AuthenticatorTest, CustomSkew) {
  Authenticator strict(
      [](const std::string&) -> StatusOr<core::AccessKey> {
        return core::AccessKey{.id = "testid", .secret = "testsecret", .account_id = "1"};
      },
      clock_, seconds(30));
  clock_.Advance(seconds(31));
  ExpectError(strict.Authenticate(V3Request()), StatusClass::kInvalidArgument,
              "InvalidTimeStamp.Expired", "x-acs-date");
}

TEST_F(AuthenticatorTest, UnknownKey) {
  ExpectErrorInBothSchemes("nobody", "x", StatusClass::kUnauthenticated,
                           "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
}

TEST_F(AuthenticatorTest, LookupFailurePassesThrough) {
  const Map params = PopCoreParamsFor("broken");
  ExpectError(auth_.Authenticate(V1Request(params)), StatusClass::kUnavailable,
              "ServiceUnavailable", "store down");
}

TEST_F(AuthenticatorTest, DisabledKey) {
  ExpectErrorInBothSchemes("disabled", "offsecret", StatusClass::kPermissionDenied,
                           "Forbidden.AccessKeyDisabled", "The Access Key is disabled.");
}

// Exec tokens and other credentials handed out earlier are re-checked against the key.
TEST_F(AuthenticatorTest, CheckUsableFollowsTheKeyAndItsAccount) {
  EXPECT_TRUE(auth_.CheckUsable("testid", "1").ok());
  Status other_account = auth_.CheckUsable("testid", "2");
  EXPECT_EQ(other_account.api_code(), "InvalidAccessKeyId.NotFound");
  Status gone = auth_.CheckUsable("deleted", "1");
  EXPECT_EQ(gone.api_code(), "InvalidAccessKeyId.NotFound");
  Status disabled = auth_.CheckUsable("disabled", "3");
  EXPECT_EQ(disabled.cls(), StatusClass::kPermissionDenied);
  EXPECT_EQ(disabled.api_code(), "Forbidden.AccessKeyDisabled");
  EXPECT_EQ(auth_.CheckUsable("broken", "1").cls(), StatusClass::kUnavailable);
}

TEST_F(AuthenticatorTest, V1BadSignatureShowsStringToSignButNotSecret) {
  SignedRequest req = V1Request(PopCoreParams(), "wrongsecret");
  auto result = auth_.Authenticate(req);
  ExpectError(result, StatusClass::kUnauthenticated, "SignatureDoesNotMatch",
              "Specified signature is not matched with our calculation. server string to sign "
              "is:" +
                  BuildV1StringToSign("POST", PopCoreParams()));
  EXPECT_EQ(result.status().message().find("testsecret"), std::string::npos);
}

TEST_F(AuthenticatorTest, V1MethodIsSigned) {
  SignedRequest req = V1Request(PopCoreParams(), "testsecret", "GET");
  req.method = "POST";
  ExpectError(auth_.Authenticate(req), StatusClass::kUnauthenticated, "SignatureDoesNotMatch",
              "POST&%2F&");
}

TEST_F(AuthenticatorTest, V1TamperedParameter) {
  SignedRequest req = V1Request(PopCoreParams());
  req.params["Limit"] = "21";
  ExpectError(auth_.Authenticate(req), StatusClass::kUnauthenticated, "SignatureDoesNotMatch",
              "Limit%3D21");
}

TEST_F(AuthenticatorTest, V3BadSignature) {
  SignedRequest req = V3Request();
  req.query["Limit"] = "21";
  auto result = auth_.Authenticate(req);
  ExpectError(result, StatusClass::kUnauthenticated, "SignatureDoesNotMatch",
              "server string to sign is:ACS3-HMAC-SHA256\n");
  EXPECT_NE(result.status().message().find("Limit=21"), std::string::npos);
  EXPECT_EQ(result.status().message().find("testsecret"), std::string::npos);
}

TEST_F(AuthenticatorTest, V3BodyHashMismatch) {
  SignedRequest req = V3Request();
  req.body = "Limit=99";  // the signed hash is still that of the empty body
  ExpectError(auth_.Authenticate(req), StatusClass::kUnauthenticated, "SignatureDoesNotMatch",
              "x-acs-content-sha256");
}

TEST_F(AuthenticatorTest, V1NonceReuse) {
  ASSERT_TRUE(auth_.Authenticate(V1Request(PopCoreParams())).ok());
  clock_.Advance(seconds(5));
  ExpectError(auth_.Authenticate(V1Request(PopCoreParams())), StatusClass::kInvalidArgument,
              "SignatureNonceUsed", kNonce);
}

TEST_F(AuthenticatorTest, V3NonceReuse) {
  ASSERT_TRUE(auth_.Authenticate(V3Request()).ok());
  ExpectError(auth_.Authenticate(V3Request()), StatusClass::kInvalidArgument, "SignatureNonceUsed",
              kNonce);
  // The nonce space is shared between the two schemes for one key.
  ExpectError(auth_.Authenticate(V1Request(PopCoreParams())), StatusClass::kInvalidArgument,
              "SignatureNonceUsed", kNonce);
}

TEST_F(AuthenticatorTest, NoncesArePerKey) {
  ASSERT_TRUE(auth_.Authenticate(V1Request(PopCoreParams())).ok());
  const Map params = PopCoreParamsFor("other");
  EXPECT_TRUE(auth_.Authenticate(V1Request(params, "othersecret")).ok());
}

TEST_F(AuthenticatorTest, NonceRecordedOnlyAfterSignatureVerified) {
  ExpectError(auth_.Authenticate(V1Request(PopCoreParams(), "wrongsecret")),
              StatusClass::kUnauthenticated, "SignatureDoesNotMatch", "server string to sign");
  const Map params = PopCoreParamsFor("disabled");
  ExpectError(auth_.Authenticate(V1Request(params, "offsecret")), StatusClass::kPermissionDenied,
              "Forbidden.AccessKeyDisabled", "disabled");
  EXPECT_TRUE(auth_.Authenticate(V1Request(PopCoreParams())).ok());
}

TEST_F(AuthenticatorTest, NoncesExpireAfterTwiceTheSkew) {
  ASSERT_TRUE(auth_.Authenticate(V1Request(PopCoreParams())).ok());
  // Just inside 2 x max_skew the nonce is still remembered (with a fresh timestamp).
  clock_.Advance(minutes(30));
  Map params = PopCoreParams();
  params["Timestamp"] = FormatRfc3339(clock_.Now());
  ExpectError(auth_.Authenticate(V1Request(params)), StatusClass::kInvalidArgument,
              "SignatureNonceUsed", kNonce);
  clock_.Advance(seconds(1));
  params["Timestamp"] = FormatRfc3339(clock_.Now());
  EXPECT_TRUE(auth_.Authenticate(V1Request(params)).ok());
}

TEST_F(AuthenticatorTest, CheckOrderTimestampBeforeLookup) {
  Map params = PopCoreParamsFor("nobody");
  params["Timestamp"] = "2020-01-01T00:00:00Z";
  ExpectError(auth_.Authenticate(V1Request(params)), StatusClass::kInvalidArgument,
              "InvalidTimeStamp.Expired", "Timestamp");
  EXPECT_EQ(lookups_, 0);
}

}  // namespace
}  // namespace openeci::api
