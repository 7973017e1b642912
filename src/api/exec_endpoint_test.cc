// ExecEndpoint's refusals before the upgrade (the bridge itself runs in tests/integration).
#include "api/exec_endpoint.h"

#include <gtest/gtest.h>

#include "controller/fake_runtime.h"

namespace openeci::api {
namespace {

using std::chrono::seconds;

class ExecEndpointTest : public ::testing::Test {
 protected:
  std::string Issue(const std::string& account) {
    ExecSession s;
    s.account_id = account;
    s.access_key_id = "key-" + account;
    s.group_id = "eci-1";
    s.container_id = "c1";
    s.command = {"sh"};
    StatusOr<std::string> token = sessions_.Issue(s);
    EXPECT_TRUE(token.ok());
    return token.ok() ? *token : std::string();
  }
  static HttpRequest Upgrade(const std::string& token) {
    return HttpRequest{"GET", std::string(kExecPathPrefix) + token, {}, "", ""};
  }

  FakeClock clock_{TimePoint(seconds(1000))};
  ExecSessionRegistry sessions_{clock_, seconds(60)};
  controller::FakeRuntime runtime_{clock_};
};

TEST_F(ExecEndpointTest, ATokenWhoseSessionNoLongerPassesTheCheckIsRefusedAndSpent) {
  std::vector<std::string> checked;
  ExecEndpoint endpoint(sessions_, runtime_, [&](const ExecSession& s) -> Status {
    checked.push_back(s.account_id + "/" + s.access_key_id);
    if (s.account_id == "b") {
      return Status(StatusClass::kPermissionDenied, "Forbidden.AccessKeyDisabled",
                    "The Access Key is disabled.");
    }
    return Status::Ok();
  });
  std::string token = Issue("b");
  WebSocketDecision refused = endpoint.Decide(Upgrade(token));
  ASSERT_TRUE(refused.refusal.has_value());
  EXPECT_EQ(refused.refusal->status, 403);
  EXPECT_NE(refused.refusal->body.find("Forbidden.AccessKeyDisabled"), std::string::npos);
  EXPECT_EQ(checked, (std::vector<std::string>{"b/key-b"}));

  WebSocketDecision again = endpoint.Decide(Upgrade(token));
  ASSERT_TRUE(again.refusal.has_value());
  EXPECT_EQ(again.refusal->status, 401);
  EXPECT_NE(again.refusal->body.find("InvalidExecToken"), std::string::npos);
}

TEST_F(ExecEndpointTest, AValidTokenUpgradesOnce) {
  ExecEndpoint endpoint(sessions_, runtime_, [](const ExecSession&) { return Status::Ok(); });
  std::string token = Issue("a");
  WebSocketDecision ok = endpoint.Decide(Upgrade(token));
  EXPECT_FALSE(ok.refusal.has_value());
  EXPECT_TRUE(static_cast<bool>(ok.run));
  WebSocketDecision second = endpoint.Decide(Upgrade(token));
  ASSERT_TRUE(second.refusal.has_value());
  EXPECT_EQ(second.refusal->status, 401);
}

}  // namespace
}  // namespace openeci::api
