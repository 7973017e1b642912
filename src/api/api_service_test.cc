// The API front door end to end in-process: real SQLite store, real core service, requests
// signed as the SDKs sign them, answers checked for codes, HTTP statuses and shapes.
#include "api/api_service.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "api/handler_test_fixture.h"
#include "api/percent.h"
#include "api/signature.h"
#include "common/clock.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::api {
namespace {

namespace json = boost::json;
using Map = std::map<std::string, std::string>;

class ApiServiceTest : public HandlerTest {
 protected:
  ApiServiceTest() : HandlerTest(FromUnixMillis(1714564800000)) {}

  void SetUp() override {
    HandlerTest::SetUp();
    core::AccessKey key{"testid", "testsecret", "acct-1", true, 0};
    ASSERT_TRUE(store_->PutAccessKey(key).ok());
    core::AccessKey other{"otherid", "othersecret", "acct-2", true, 0};
    ASSERT_TRUE(store_->PutAccessKey(other).ok());
    auth_ = std::make_unique<Authenticator>(
        [this](const std::string& id) { return store_->GetAccessKey(id); }, clock_);
    api_ = std::make_unique<ApiService>(ApiEnv{*groups_, topology_}, *auth_, "eci.test");
  }

  // A pop-core style V1 request: every parameter in the query (GET) or form body (POST).
  HttpResponse V1(const std::string& action, Map params, const std::string& method = "GET",
                  const std::string& key_id = "testid", const std::string& secret = "testsecret") {
    params["Action"] = action;
    params["Version"] = "2018-08-08";
    params["Format"] = params.count("Format") ? params["Format"] : "JSON";
    params["AccessKeyId"] = key_id;
    params["SignatureMethod"] = "HMAC-SHA1";
    params["SignatureVersion"] = "1.0";
    params["SignatureNonce"] = "nonce-" + std::to_string(++nonce_);
    params["Timestamp"] = FormatRfc3339(clock_.Now());
    params["Signature"] = ComputeV1Signature(method, params, secret);
    std::string encoded;
    for (const auto& [k, v] : params) {
      encoded += (encoded.empty() ? "" : "&") + PercentEncode(k) + "=" + PercentEncode(v);
    }
    HttpRequest r;
    r.method = method;
    if (method == "GET") {
      r.target = "/?" + encoded;
    } else {
      r.target = "/";
      r.body = encoded;
      r.headers["content-type"] = "application/x-www-form-urlencoded";
    }
    return api_->Handle(r);
  }

  // An eci20180808 style V3 request: parameters in the query, action in headers.
  HttpResponse V3(const std::string& action, const Map& query) {
    HttpRequest r;
    r.method = "POST";
    std::string encoded;
    for (const auto& [k, v] : query) {
      encoded += (encoded.empty() ? "" : "&") + PercentEncode(k) + "=" + PercentEncode(v);
    }
    r.target = "/?" + encoded;
    r.headers = {{"host", "127.0.0.1:18080"},
                 {"x-acs-action", action},
                 {"x-acs-version", "2018-08-08"},
                 {"x-acs-date", FormatRfc3339(clock_.Now())},
                 {"x-acs-signature-nonce", "v3nonce-" + std::to_string(++nonce_)},
                 {"x-acs-content-sha256", Sha256Hex("")}};
    std::vector<std::string> signed_headers;
    for (const auto& [k, v] : r.headers) signed_headers.push_back(k);
    std::string sig = ComputeV3Signature("POST", query, r.headers, signed_headers,
                                         Sha256Hex(""), "testsecret");
    std::string names;
    for (const auto& h : signed_headers) names += (names.empty() ? "" : ";") + h;
    r.headers["authorization"] =
        "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=" + names + ",Signature=" + sig;
    return api_->Handle(r);
  }

  static json::object Body(const HttpResponse& r) { return json::parse(r.body).as_object(); }

  static Map MinimalCreate(const std::string& name) {
    return {{"RegionId", "cn-hangzhou"},
            {"ContainerGroupName", name},
            {"Container.1.Name", "app"},
            {"Container.1.Image", "busybox"}};
  }

  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<ApiService> api_;
  int nonce_ = 0;
};

// Found by fuzz/flat_params (the same bytes reach error messages): an echoed Version that was
// not UTF-8 made the error body invalid JSON.
TEST_F(ApiServiceTest, ErrorsEchoingBytesThatAreNotUtf8StayValidJson) {
  HttpRequest r;
  r.method = "GET";
  r.target = "/?Action=DescribeRegions&Version=2018%FF";
  HttpResponse res = api_->Handle(r);
  EXPECT_EQ(res.status, 400);
  json::object body = Body(res);
  EXPECT_EQ(body.at("Code"), "InvalidVersion");
  EXPECT_NE(std::string(body.at("Message").as_string()).find("2018\xEF\xBF\xBD"),
            std::string::npos);
  // A signed request with such a parameter is refused before anything is stored.
  res = V1("CreateContainerGroup", {{"RegionId", "cn-hangzhou"},
                                    {"ContainerGroupName", "utf"},
                                    {"Container.1.Name", "app"},
                                    {"Container.1.Image", "busybox\xD5"}});
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(Body(res).at("Code"), "InvalidParameter");
}

TEST_F(ApiServiceTest, DescribeRegionsOverV1AndV3) {
  for (const HttpResponse& r : {V1("DescribeRegions", {}), V3("DescribeRegions", {})}) {
    ASSERT_EQ(r.status, 200) << r.body;
    json::object body = Body(r);
    EXPECT_TRUE(body.contains("RequestId"));
    EXPECT_FALSE(body.contains("Code"));
    EXPECT_EQ(body["Regions"].as_array()[0].as_object()["RegionId"].as_string(), "cn-hangzhou");
    EXPECT_EQ(r.headers.at("x-acs-request-id"), body["RequestId"].as_string());
  }
}

TEST_F(ApiServiceTest, CreateDecodesFlatParametersWithGaps) {
  Map p = MinimalCreate("web");
  p["Container.1.Command.1"] = "sh";
  p["Container.1.Arg.1"] = "-c";
  p["Container.1.Arg.3"] = "echo hi";  // a hole at index 2 is tolerated
  p["Container.1.EnvironmentVar.2.Key"] = "IP";
  p["Container.1.EnvironmentVar.2.FieldRef.FieldPath"] = "status.podIP";
  p["Container.1.Port.1.Port"] = "8080";
  p["Container.1.Cpu"] = "0.5";
  p["Container.1.Memory"] = "1.0";
  p["Tag.1.Key"] = "env";
  p["Tag.1.Value"] = "a b*c~d+e/\xc3\xa9";
  HttpResponse created = V1("CreateContainerGroup", p, "POST");
  ASSERT_EQ(created.status, 200) << created.body;
  std::string id(Body(created)["ContainerGroupId"].as_string());
  EXPECT_EQ(id.rfind("eci-", 0), 0u);

  HttpResponse described = V3("DescribeContainerGroups",
                              {{"RegionId", "cn-hangzhou"},
                               {"ContainerGroupIds", "[\"" + id + "\"]"}});
  ASSERT_EQ(described.status, 200) << described.body;
  json::object body = Body(described);
  EXPECT_EQ(body["TotalCount"].as_int64(), 1);
  json::object g = body["ContainerGroups"].as_array()[0].as_object();
  EXPECT_EQ(g["Status"].as_string(), "Pending");
  EXPECT_EQ(g["Cpu"].as_double(), 0.5);
  EXPECT_EQ(g["ZoneId"].as_string(), "cn-hangzhou-a");
  EXPECT_EQ(g["Tags"].as_array()[0].as_object()["Value"].as_string(), "a b*c~d+e/\xc3\xa9");
  json::object c = g["Containers"].as_array()[0].as_object();
  EXPECT_EQ(json::serialize(c["Args"]), R"(["-c","echo hi"])");
  EXPECT_EQ(c["Ports"].as_array()[0].as_object()["Port"].as_int64(), 8080);
  EXPECT_EQ(c["EnvironmentVars"].as_array()[0].as_object()["ValueFrom"].as_object()["FieldRef"]
                .as_object()["FieldPath"]
                .as_string(),
            "status.podIP");
}

TEST_F(ApiServiceTest, ErrorsCarryCodeStatusAndParameterName) {
  struct Case {
    Map params;
    int status;
    const char* code;
    const char* names;
  };
  Map dup = MinimalCreate("dup");
  dup["Container.2.Name"] = "app";
  dup["Container.2.Image"] = "busybox";
  Map unsupported = MinimalCreate("vol");
  unsupported["EipInstanceId"] = "eip-1";
  Map object = MinimalCreate("obj");
  object["DnsConfig"] = "[object Object]";
  Map region = MinimalCreate("reg");
  region["RegionId"] = "us-west-1";
  Map no_region = MinimalCreate("noreg");
  no_region.erase("RegionId");
  Map bad_cpu = MinimalCreate("cpu");
  bad_cpu["Cpu"] = "lots";
  const Case cases[] = {
      {dup, 400, "InvalidParameter.DuplicatedName", "Container.2.Name"},
      {unsupported, 400, "InvalidParameter", "EipInstanceId"},
      {object, 400, "InvalidParameter", "DnsConfig"},
      {region, 403, "RegionNotSupported", "us-west-1"},
      {no_region, 400, "MissingParameter", "RegionId"},
      {bad_cpu, 400, "InvalidParameter", "Cpu"},
  };
  for (const Case& c : cases) {
    HttpResponse r = V1("CreateContainerGroup", c.params);
    EXPECT_EQ(r.status, c.status) << r.body;
    json::object body = Body(r);
    EXPECT_EQ(body["Code"].as_string(), c.code) << r.body;
    EXPECT_NE(std::string(body["Message"].as_string()).find(c.names), std::string::npos) << r.body;
    for (const char* field : {"RequestId", "HostId", "Recommend"}) {
      EXPECT_TRUE(body.contains(field)) << field;
    }
  }
}

TEST_F(ApiServiceTest, AParameterGivenTwiceIsRefusedNamingIt) {
  auto expect_refused = [&](const HttpRequest& r, const std::string& key) {
    HttpResponse res = api_->Handle(r);
    EXPECT_EQ(res.status, 400) << res.body;
    json::object body = Body(res);
    EXPECT_EQ(body["Code"].as_string(), "InvalidParameter") << res.body;
    EXPECT_NE(std::string(body["Message"].as_string()).find("\"" + key + "\" is given more than once"),
              std::string::npos)
        << res.body;
  };
  HttpRequest twice_in_query;
  twice_in_query.method = "GET";
  twice_in_query.target = "/?Action=DescribeRegions&RegionId=a&Version=2018-08-08&RegionId=a";
  expect_refused(twice_in_query, "RegionId");
  HttpRequest encoded_differently = twice_in_query;  // decoded keys are compared
  encoded_differently.target = "/?Action=DescribeRegions&Version=2018-08-08&Tag.1.Key=a&Tag%2E1.Key=b";
  expect_refused(encoded_differently, "Tag.1.Key");
  HttpRequest query_and_body;
  query_and_body.method = "POST";
  query_and_body.target = "/?Action=DescribeRegions";
  query_and_body.headers["content-type"] = "application/x-www-form-urlencoded";
  query_and_body.body = "Version=2018-08-08&Action=DescribeRegions";
  expect_refused(query_and_body, "Action");
}

TEST_F(ApiServiceTest, ClientTokensOfDeleteAndRestartAreCheckedToo) {
  for (const char* action : {"DeleteContainerGroup", "RestartContainerGroup"}) {
    HttpResponse r = V1(action, {{"RegionId", "cn-hangzhou"},
                                 {"ContainerGroupId", "eci-none"},
                                 {"ClientToken", std::string(65, 't')}});
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(Body(r)["Code"].as_string(), "InvalidParameter.ValueExceeded") << r.body;
    EXPECT_NE(r.body.find("ClientToken"), std::string::npos) << r.body;
  }
}

TEST_F(ApiServiceTest, WithEventMustBeABoolean) {
  HttpResponse r = V1("DescribeContainerGroups", {{"RegionId", "cn-hangzhou"}, {"WithEvent", "x"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Body(r)["Code"].as_string(), "InvalidParameter") << r.body;
  EXPECT_NE(r.body.find("WithEvent"), std::string::npos) << r.body;
  EXPECT_EQ(V1("DescribeContainerGroups", {{"RegionId", "cn-hangzhou"}, {"WithEvent", "false"}})
                .status,
            200);
}

TEST_F(ApiServiceTest, AuthenticationFailures) {
  HttpResponse unknown = V1("DescribeRegions", {}, "GET", "nobody", "x");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Body(unknown)["Code"].as_string(), "InvalidAccessKeyId.NotFound");
  HttpResponse wrong = V1("DescribeRegions", {}, "GET", "testid", "wrong");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(Body(wrong)["Code"].as_string(), "SignatureDoesNotMatch");
  HttpRequest unsigned_request;
  unsigned_request.method = "GET";
  unsigned_request.target = "/?Action=DescribeRegions&Version=2018-08-08";
  HttpResponse missing = api_->Handle(unsigned_request);
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(Body(missing)["Code"].as_string(), "MissingParameter");
  HttpResponse version = api_->Handle(
      {"GET", "/?Action=DescribeRegions&Version=2014-05-26", {}, "", ""});
  EXPECT_EQ(Body(version)["Code"].as_string(), "InvalidVersion");
  HttpResponse action = V1("RunInstances", {});
  EXPECT_EQ(action.status, 403);
  EXPECT_EQ(Body(action)["Code"].as_string(), "InvalidAction");
}

TEST_F(ApiServiceTest, ClientTokenIsIdempotentPerParameters) {
  Map p = MinimalCreate("tok");
  p["ClientToken"] = "token-1";
  std::string first(Body(V1("CreateContainerGroup", p))["ContainerGroupId"].as_string());
  std::string again(Body(V1("CreateContainerGroup", p, "POST"))["ContainerGroupId"].as_string());
  EXPECT_EQ(first, again);
  p["Container.1.Image"] = "nginx";
  HttpResponse mismatch = V1("CreateContainerGroup", p);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(Body(mismatch)["Code"].as_string(), "IdempotentParameterMismatch");
}

TEST_F(ApiServiceTest, OtherAccountsGroupsAreInvisible) {
  std::string id(
      Body(V1("CreateContainerGroup", MinimalCreate("mine")))["ContainerGroupId"].as_string());
  HttpResponse theirs = V1("DeleteContainerGroup",
                           {{"RegionId", "cn-hangzhou"}, {"ContainerGroupId", id}}, "GET",
                           "otherid", "othersecret");
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(Body(theirs)["Code"].as_string(), "InvalidParameter.NotFound");
  HttpResponse list = V1("DescribeContainerGroups", {{"RegionId", "cn-hangzhou"}}, "GET",
                         "otherid", "othersecret");
  EXPECT_EQ(Body(list)["TotalCount"].as_int64(), 0);
}

// Every action that names a group answers another account exactly as it answers an ID that
// does not exist: same HTTP status, same Code, same Message with the ID swapped.
TEST_F(ApiServiceTest, AnotherAccountsGroupLooksLikeAMissingOne) {
  std::string id(
      Body(V1("CreateContainerGroup", MinimalCreate("mine")))["ContainerGroupId"].as_string());
  const std::string missing = "eci-nosuchgroup000000";
  const std::pair<std::string, Map> cases[] = {
      {"DeleteContainerGroup", {}},
      {"RestartContainerGroup", {}},
      {"UpdateContainerGroup", {{"Memory", "8"}}},
      {"ExportContainerGroupTemplate", {}},
  };
  for (const auto& [action, extra] : cases) {
    SCOPED_TRACE(action);
    auto ask = [&](const std::string& group_id) {
      Map params = extra;
      params["RegionId"] = "cn-hangzhou";
      params["ContainerGroupId"] = group_id;
      return V1(action, params, "GET", "otherid", "othersecret");
    };
    HttpResponse theirs = ask(id);
    HttpResponse nobodys = ask(missing);
    EXPECT_EQ(theirs.status, 404);
    EXPECT_EQ(theirs.status, nobodys.status);
    json::object a = Body(theirs), b = Body(nobodys);
    EXPECT_EQ(a["Code"], b["Code"]);
    std::string message(a["Message"].as_string());
    message.replace(message.find(id), id.size(), missing);
    EXPECT_EQ(message, std::string(b["Message"].as_string()));
  }
  HttpResponse by_id = V1("DescribeContainerGroups",
                          {{"RegionId", "cn-hangzhou"}, {"ContainerGroupIds", "[\"" + id + "\"]"}},
                          "GET", "otherid", "othersecret");
  EXPECT_EQ(Body(by_id)["TotalCount"].as_int64(), 0);
  // The owner still sees it, untouched.
  HttpResponse mine = V1("DescribeContainerGroups",
                         {{"RegionId", "cn-hangzhou"}, {"ContainerGroupIds", "[\"" + id + "\"]"}});
  EXPECT_EQ(Body(mine)["TotalCount"].as_int64(), 1);
}

TEST_F(ApiServiceTest, ThrottlingPerAccountAnswers400AndRecovers) {
  Throttle throttle(clock_, {/*read_rate=*/1, /*write_rate=*/0, /*burst_seconds=*/2});
  ApiEnv env{*groups_, topology_};
  env.throttle = &throttle;
  api_ = std::make_unique<ApiService>(env, *auth_, "eci.test");
  const Map query = {{"RegionId", "cn-hangzhou"}};
  EXPECT_EQ(V1("DescribeContainerGroups", query).status, 200);
  EXPECT_EQ(V1("DescribeContainerGroups", query).status, 200);
  HttpResponse over = V1("DescribeContainerGroups", query);
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(Body(over)["Code"].as_string(), "Throttling");
  EXPECT_NE(std::string(Body(over)["Message"].as_string()).find("request throttling"),
            std::string::npos);
  // Another account is not affected; writes are not limited (rate 0).
  EXPECT_EQ(V1("DescribeContainerGroups", query, "GET", "otherid", "othersecret").status, 200);
  EXPECT_EQ(V1("CreateContainerGroup", MinimalCreate("writes")).status, 200);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(V1("DescribeContainerGroups", query).status, 200);
}

TEST_F(ApiServiceTest, DeleteHidesAndRestartChecksStatus) {
  std::string id(
      Body(V1("CreateContainerGroup", MinimalCreate("gone")))["ContainerGroupId"].as_string());
  Map ref = {{"RegionId", "cn-hangzhou"}, {"ContainerGroupId", id}};
  EXPECT_EQ(V1("RestartContainerGroup", ref).status, 200);  // Pending may restart
  EXPECT_EQ(V1("DeleteContainerGroup", ref).status, 200);
  json::object list = Body(V1("DescribeContainerGroups", {{"RegionId", "cn-hangzhou"}}));
  EXPECT_EQ(list["TotalCount"].as_int64(), 0);
  EXPECT_EQ(V1("DeleteContainerGroup", ref).status, 404);

  std::string done(
      Body(V1("CreateContainerGroup", MinimalCreate("done")))["ContainerGroupId"].as_string());
  auto g = store_->GetGroup(done);
  ASSERT_TRUE(g.ok());
  g->status.phase = core::GroupPhase::Succeeded;
  ASSERT_TRUE(store_->UpdateGroup(*g, g->revision).ok());
  HttpResponse r = V1("RestartContainerGroup", {{"RegionId", "cn-hangzhou"}, {"ContainerGroupId", done}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["Code"].as_string(), "IncorrectStatus");
}

TEST_F(ApiServiceTest, PagingAndLimit) {
  for (int i = 0; i < 25; ++i) {
    ASSERT_EQ(V1("CreateContainerGroup", MinimalCreate("g" + std::to_string(i))).status, 200);
  }
  json::object first = Body(V1("DescribeContainerGroups", {{"RegionId", "cn-hangzhou"}}));
  EXPECT_EQ(first["TotalCount"].as_int64(), 25);
  EXPECT_EQ(first["ContainerGroups"].as_array().size(), 20u);
  std::string token(first["NextToken"].as_string());
  ASSERT_FALSE(token.empty());
  json::object second = Body(V1("DescribeContainerGroups",
                                {{"RegionId", "cn-hangzhou"}, {"NextToken", token}}));
  EXPECT_EQ(second["ContainerGroups"].as_array().size(), 5u);
  EXPECT_EQ(second["NextToken"].as_string(), "");
  HttpResponse too_many =
      V1("DescribeContainerGroups", {{"RegionId", "cn-hangzhou"}, {"Limit", "21"}});
  EXPECT_EQ(Body(too_many)["Code"].as_string(), "InvalidParameter");
}

TEST_F(ApiServiceTest, XmlWhenAsked) {
  HttpResponse r = V1("DescribeRegions", {{"Format", "XML"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/xml;charset=utf-8");
  EXPECT_NE(r.body.find("<DescribeRegionsResponse>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<Zones>cn-hangzhou-a</Zones>"), std::string::npos) << r.body;
  HttpResponse err = V1("DescribeContainerGroups", {{"Format", "XML"}});
  EXPECT_NE(err.body.find("<Error><RequestId>"), std::string::npos) << err.body;
  EXPECT_NE(err.body.find("<Code>MissingParameter</Code>"), std::string::npos) << err.body;
}

// Operations metrics: every answer is reported with a bounded action label.
TEST_F(ApiServiceTest, EveryAnswerIsReportedToTheRequestObserver) {
  struct Seen : RequestObserver {
    void OnApiRequest(const std::string& action, int http_status, const std::string& error_code,
                      double seconds) override {
      calls.push_back(action + " " + std::to_string(http_status) + " " + error_code);
      EXPECT_GE(seconds, 0);
    }
    std::vector<std::string> calls;
  } seen;
  ApiEnv env{*groups_, topology_};
  env.request_observer = &seen;
  api_ = std::make_unique<ApiService>(env, *auth_, "eci.test");
  V1("DescribeRegions", {});
  V1("DescribeContainerGroups", {{"RegionId", "cn-hangzhou"}, {"Limit", "21"}});
  V1("NoSuchAction" + std::string(100, 'x'), {});
  api_->HandleUnparsable(413, "body too large");
  EXPECT_EQ(seen.calls, (std::vector<std::string>{
                            "DescribeRegions 200 ",
                            "DescribeContainerGroups 400 InvalidParameter",
                            "unknown 403 InvalidAction",
                            "unknown 413 InvalidParameter",
                        }));
}

}  // namespace
}  // namespace openeci::api
