#include "api/percent.h"

#include <gtest/gtest.h>

namespace openeci::api {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(PercentEncode, KeepsOnlyUnreserved) {
  EXPECT_EQ(PercentEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(PercentEncode(" "), "%20");
  EXPECT_EQ(PercentEncode("*"), "%2A");
  EXPECT_EQ(PercentEncode("+"), "%2B");
  EXPECT_EQ(PercentEncode("/"), "%2F");
  EXPECT_EQ(PercentEncode(":"), "%3A");
  EXPECT_EQ(PercentEncode("!'()"), "%21%27%28%29");
  EXPECT_EQ(PercentEncode("\xC3\xA9"), "%C3%A9");  // é, uppercase hex over UTF-8 bytes
  EXPECT_EQ(PercentEncode(""), "");
  EXPECT_EQ(PercentEncode("a b*c~d+e/\xC3\xA9"), "a%20b%2Ac~d%2Be%2F%C3%A9");
  EXPECT_EQ(PercentEncode(std::string_view("\0\xff", 2)), "%00%FF");
}

TEST(PercentDecode, DecodesEitherHexCase) {
  EXPECT_EQ(PercentDecode("%2a%2A%c3%A9", false), "**\xC3\xA9");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("%2B", true), "+");
  EXPECT_EQ(PercentDecode("", true), "");
}

TEST(PercentDecode, RejectsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("%", true), std::nullopt);
  EXPECT_EQ(PercentDecode("%2", true), std::nullopt);
  EXPECT_EQ(PercentDecode("abc%", true), std::nullopt);
  EXPECT_EQ(PercentDecode("%G0", true), std::nullopt);
  EXPECT_EQ(PercentDecode("%0G", true), std::nullopt);
}

// Styles A and B leave ! ( ) * ~ literal on the wire (contract section 2).
TEST(ParseUrlEncoded, DecodesNodeWireEncoding) {
  auto parsed = ParseUrlEncoded("Arg.2=a*b~c%2Bd%20e!%27()");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, (Pairs{{"Arg.2", "a*b~c+d e!'()"}}));
}

TEST(ParseUrlEncoded, DecodesStrictEncodingToTheSameValue) {
  auto parsed = ParseUrlEncoded("Arg.2=a%2Ab~c%2Bd%20e%21%27%28%29");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, (Pairs{{"Arg.2", "a*b~c+d e!'()"}}));
}

TEST(ParseUrlEncoded, PlusIsSpaceKeysWithoutValueAndEmptyPieces) {
  auto parsed = ParseUrlEncoded("&a=1+2&&flag&empty=&=v&b=x%3Dy=z&");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, (Pairs{{"a", "1 2"}, {"flag", ""}, {"empty", ""}, {"", "v"}, {"b", "x=y=z"}}));
}

TEST(ParseUrlEncoded, KeepsWireOrderAndDuplicates) {
  auto parsed = ParseUrlEncoded("b=2&a=1&b=3");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, (Pairs{{"b", "2"}, {"a", "1"}, {"b", "3"}}));
}

TEST(ParseUrlEncoded, EmptyInput) {
  auto parsed = ParseUrlEncoded("");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
}

TEST(ParseUrlEncoded, MalformedEscapeNamesTheKey) {
  auto parsed = ParseUrlEncoded("ok=1&Tag.1.Value=50%&x=2");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().api_code(), "InvalidParameter");
  EXPECT_EQ(parsed.status().cls(), StatusClass::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("\"Tag.1.Value\""), std::string::npos);

  auto bad_key = ParseUrlEncoded("Na%zzme=1");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.status().message().find("Na%zzme"), std::string::npos);
}

}  // namespace
}  // namespace openeci::api
