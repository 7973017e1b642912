#include "api/exec_sessions.h"

#include <gtest/gtest.h>

namespace openeci::api {
namespace {

using std::chrono::seconds;

ExecSession Session(const std::string& container) {
  ExecSession s;
  s.account_id = "acct";
  s.container_id = container;
  s.command = {"sh"};
  s.tty = true;
  s.stdin_open = true;
  return s;
}

TEST(ExecSessionRegistryTest, TakeReturnsTheSessionOnce) {
  FakeClock clock(TimePoint(seconds(1000)));
  ExecSessionRegistry registry(clock, seconds(60));
  auto token = registry.Issue(Session("c1"));
  ASSERT_TRUE(token.ok());
  EXPECT_GE(token->size(), 32u);
  auto taken = registry.Take(*token);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->container_id, "c1");
  EXPECT_EQ(taken->account_id, "acct");
  EXPECT_TRUE(taken->tty);
  EXPECT_FALSE(registry.Take(*token).has_value());
}

TEST(ExecSessionRegistryTest, UnknownTokenIsRefused) {
  FakeClock clock(TimePoint(seconds(1000)));
  ExecSessionRegistry registry(clock);
  EXPECT_FALSE(registry.Take("nope").has_value());
  EXPECT_FALSE(registry.Take("").has_value());
}

TEST(ExecSessionRegistryTest, TokenExpiresAfterTtl) {
  FakeClock clock(TimePoint(seconds(1000)));
  ExecSessionRegistry registry(clock, seconds(60));
  auto early = registry.Issue(Session("c1"));
  auto late = registry.Issue(Session("c2"));
  ASSERT_TRUE(early.ok() && late.ok());
  EXPECT_NE(*early, *late);
  clock.Advance(seconds(59));
  ASSERT_TRUE(registry.Take(*early).has_value());
  clock.Advance(seconds(1));
  EXPECT_FALSE(registry.Take(*late).has_value());
  EXPECT_EQ(registry.size(), 0u);
}

TEST(ExecSessionRegistryTest, CapacityBoundsLiveTokensAndExpiryFreesRoom) {
  FakeClock clock(TimePoint(seconds(1000)));
  ExecSessionRegistry registry(clock, seconds(10), 2);
  ASSERT_TRUE(registry.Issue(Session("a")).ok());
  ASSERT_TRUE(registry.Issue(Session("b")).ok());
  auto full = registry.Issue(Session("c"));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().api_code(), "Throttling");
  clock.Advance(seconds(10));
  EXPECT_TRUE(registry.Issue(Session("c")).ok());
  EXPECT_EQ(registry.size(), 1u);
}

}  // namespace
}  // namespace openeci::api
