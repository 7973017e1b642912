#include "common/clock.h"

#include <gtest/gtest.h>

namespace openeci {
namespace {

TEST(Rfc3339, RoundTrips) {
  auto t = ParseRfc3339("2024-05-01T12:00:00Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatRfc3339(*t), "2024-05-01T12:00:00Z");
  EXPECT_EQ(ToUnixMillis(*t), 1714564800000);
}

TEST(Rfc3339, AcceptsFractionAndOffset) {
  auto t = ParseRfc3339("2024-05-01T14:00:00.123+02:00");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatRfc3339(*t), "2024-05-01T12:00:00Z");
}

TEST(Rfc3339, RejectsGarbage) {
  EXPECT_FALSE(ParseRfc3339("").has_value());
  EXPECT_FALSE(ParseRfc3339("2024-05-01 12:00:00").has_value());
  EXPECT_FALSE(ParseRfc3339("2024-13-01T12:00:00Z").has_value());
  EXPECT_FALSE(ParseRfc3339("2024-05-01T12:00:00Zjunk").has_value());
}

TEST(FakeClock, Advances) {
  FakeClock clock(FromUnixMillis(1000));
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(ToUnixMillis(clock.Now()), 3000);
}

}  // namespace
}  // namespace openeci
