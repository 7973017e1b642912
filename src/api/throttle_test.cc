#include "api/throttle.h"

#include <gtest/gtest.h>

namespace openeci::api {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(TokenBucketTest, StartsFullThenRefillsAtTheRate) {
  TimePoint t0(seconds(1000));
  TokenBucket bucket(/*rate=*/2, /*capacity=*/3, t0);
  EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_FALSE(bucket.TryTake(t0));
  EXPECT_FALSE(bucket.TryTake(t0 + milliseconds(400)));  // 0.8 tokens
  EXPECT_TRUE(bucket.TryTake(t0 + milliseconds(500)));   // 1.0 token
  EXPECT_FALSE(bucket.TryTake(t0 + milliseconds(500)));
}

TEST(TokenBucketTest, NeverHoldsMoreThanItsCapacity) {
  TimePoint t0(seconds(1000));
  TokenBucket bucket(10, 2, t0);
  TimePoint later = t0 + seconds(3600);
  EXPECT_TRUE(bucket.TryTake(later));
  EXPECT_TRUE(bucket.TryTake(later));
  EXPECT_FALSE(bucket.TryTake(later));
}

TEST(TokenBucketTest, AClockSteppingBackRefillsNothing) {
  TimePoint t0(seconds(1000));
  TokenBucket bucket(1, 1, t0);
  EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_FALSE(bucket.TryTake(t0 - seconds(10)));
  EXPECT_FALSE(bucket.TryTake(t0 + milliseconds(900)));
  EXPECT_TRUE(bucket.TryTake(t0 + seconds(1)));
}

TEST(ThrottleTest, AnswersThrottlingPerAccountAndRecovers) {
  FakeClock clock(TimePoint(seconds(1000)));
  Throttle throttle(clock, {/*read_rate=*/2, /*write_rate=*/1, /*burst_seconds=*/1});
  EXPECT_TRUE(throttle.Admit("a", "DescribeContainerGroups").ok());
  EXPECT_TRUE(throttle.Admit("a", "DescribeContainerGroups").ok());
  Status over = throttle.Admit("a", "DescribeContainerGroups");
  EXPECT_EQ(over.cls(), StatusClass::kResourceExhausted);
  EXPECT_EQ(over.api_code(), "Throttling");
  EXPECT_NE(over.message().find("request throttling"), std::string::npos);
  // Another account and the other class have buckets of their own.
  EXPECT_TRUE(throttle.Admit("b", "DescribeContainerGroups").ok());
  EXPECT_TRUE(throttle.Admit("a", "CreateContainerGroup").ok());
  EXPECT_FALSE(throttle.Admit("a", "DeleteContainerGroup").ok());
  clock.Advance(milliseconds(500));
  EXPECT_TRUE(throttle.Admit("a", "DescribeContainerGroups").ok());
  EXPECT_FALSE(throttle.Admit("a", "RestartContainerGroup").ok());
  clock.Advance(milliseconds(500));
  EXPECT_TRUE(throttle.Admit("a", "ExecContainerCommand").ok());
}

TEST(ThrottleTest, ZeroRateIsOff) {
  FakeClock clock(TimePoint(seconds(1000)));
  Throttle throttle(clock, {0, 0, 1});
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(throttle.Admit("a", "DescribeContainerGroups").ok());
    ASSERT_TRUE(throttle.Admit("a", "CreateContainerGroup").ok());
  }
}

TEST(ThrottleTest, ExportAndDescribeAreReads) {
  EXPECT_TRUE(Throttle::IsRead("DescribeContainerLog"));
  EXPECT_TRUE(Throttle::IsRead("ExportContainerGroupTemplate"));
  EXPECT_FALSE(Throttle::IsRead("CreateContainerGroup"));
  EXPECT_FALSE(Throttle::IsRead("ExecContainerCommand"));
}

}  // namespace
}  // namespace openeci::api
