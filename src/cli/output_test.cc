#include "cli/output.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>

namespace openeci::cli {
namespace {

TEST(ParseDuration, UnitsAndCombinations) {
  EXPECT_EQ(ParseDuration("90")->count(), 90);
  EXPECT_EQ(ParseDuration("10s")->count(), 10);
  EXPECT_EQ(ParseDuration("5m")->count(), 300);
  EXPECT_EQ(ParseDuration("1h30m")->count(), 5400);
  EXPECT_EQ(ParseDuration("2d")->count(), 172800);
  for (const char* bad : {"", "0", "1x", "h", "1h30", "-5s", "1.5h"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

TEST(FormatAge, KubectlStyle) {
  const TimePoint now = *ParseRfc3339("2026-01-02T00:00:00Z");
  EXPECT_EQ(FormatAge("2026-01-01T23:59:15Z", now), "45s");
  EXPECT_EQ(FormatAge("2026-01-01T23:48:00Z", now), "12m");
  EXPECT_EQ(FormatAge("2026-01-01T21:00:00Z", now), "3h");
  EXPECT_EQ(FormatAge("2025-12-28T00:00:00Z", now), "5d");
  EXPECT_EQ(FormatAge("", now), "-");
}

TEST(FormatBytes, BinaryUnits) {
  EXPECT_EQ(FormatBytes(512), "512");
  EXPECT_EQ(FormatBytes(1536), "1.5Ki");
  EXPECT_EQ(FormatBytes(256.0 * 1024 * 1024), "256Mi");
}

TEST(PrintTable, AlignsColumnsWithoutTrailingSpaces) {
  std::ostringstream out;
  PrintTable(out, {"ID", "NAME"}, {{"eci-1", "a"}, {"x", "longer"}});
  EXPECT_EQ(out.str(), "ID      NAME\neci-1   a\nx       longer\n");
}

TEST(PrintJson, IndentsAndRoundTrips) {
  boost::json::value v = boost::json::parse(R"({"a":[1,{"b":"c"}],"d":{},"e":[]})");
  std::ostringstream out;
  PrintJson(out, v);
  EXPECT_EQ(out.str(), "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"c\"\n    }\n  ],\n"
                       "  \"d\": {},\n  \"e\": []\n}\n");
  EXPECT_EQ(boost::json::parse(out.str()), v);
}

}  // namespace
}  // namespace openeci::cli
