#include "common/utf8.h"

#include <gtest/gtest.h>

namespace openeci {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("busybox:1.36"));
  EXPECT_TRUE(IsValidUtf8("a b*c~d+e/\xC3\xA9"));             // é
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC \xF0\x9F\x90\xB3"));  // € and a whale
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));               // U+10FFFF
  EXPECT_TRUE(IsValidUtf8(std::string_view("a\0b", 3)));
}

TEST(Utf8, RefusesMalformedText) {
  EXPECT_FALSE(IsValidUtf8("busybox\xD5"));       // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation byte
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(Utf8, ReplacesEachBadByteForEchoing) {
  EXPECT_EQ(ValidUtf8("ok\xC3\xA9"), "ok\xC3\xA9");
  EXPECT_EQ(ValidUtf8("a\xFF"
                      "b\xC3"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  EXPECT_TRUE(IsValidUtf8(ValidUtf8("\xE2\x82\xED\xA0\x80\xF0")));
}

}  // namespace
}  // namespace openeci
