#include "ops/json_log_formatter.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <regex>
#include <sstream>

namespace openeci::ops {
namespace {

TEST(JsonLogFormatterTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonEscape("a\"b\\c\nd\te\r\x01"), "a\\\"b\\\\c\\nd\\te\\r\\u0001");
  EXPECT_EQ(JsonEscape("ü {}"), "ü {}");
}

TEST(JsonLogFormatterTest, WritesOneJsonObjectPerLine) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto logger = std::make_shared<spdlog::logger>("controller", sink);
  logger->set_formatter(std::make_unique<JsonLogFormatter>());
  logger->warn("reconcile {}: \"{}\"\nsecond line", "eci-1", "boom");
  logger->info("done");
  std::string text = out.str();
  std::istringstream lines(text);
  std::string first, second;
  ASSERT_TRUE(std::getline(lines, first));
  ASSERT_TRUE(std::getline(lines, second));
  boost::json::object a = boost::json::parse(first).as_object();
  EXPECT_EQ(a.at("level").as_string(), "warning");
  EXPECT_EQ(a.at("logger").as_string(), "controller");
  EXPECT_EQ(a.at("msg").as_string(), "reconcile eci-1: \"boom\"\nsecond line");
  EXPECT_TRUE(std::regex_match(std::string(a.at("time").as_string()),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  EXPECT_EQ(a.size(), 4u);
  boost::json::object b = boost::json::parse(second).as_object();
  EXPECT_EQ(b.at("level").as_string(), "info");
  EXPECT_EQ(b.at("msg").as_string(), "done");
  EXPECT_EQ(text.back(), '\n');
}

TEST(JsonLogFormatterTest, TheDefaultLoggerIsCalledOpeneci) {
  std::ostringstream out;
  auto logger =
      std::make_shared<spdlog::logger>("", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  logger->set_formatter(std::make_unique<JsonLogFormatter>());
  logger->error("x");
  EXPECT_EQ(boost::json::parse(out.str()).as_object().at("logger").as_string(), "openeci");
}

}  // namespace
}  // namespace openeci::ops
