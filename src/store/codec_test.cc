#include "store/codec.h"

#include <gtest/gtest.h>

#include "store/store_conformance.h"

namespace openeci::store {
namespace {

TEST(CodecTest, SpecAndStatusRoundTrip) {
  core::ContainerGroup g = testing::FullyPopulatedGroup("eci-1", "acct");
  StatusOr<core::ContainerGroupSpec> spec = DecodeSpec(EncodeSpec(g.spec));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(EncodeSpec(*spec), EncodeSpec(g.spec));
  StatusOr<core::GroupStatus> status = DecodeStatus(EncodeStatus(g.status));
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(*status, g.status);
}

TEST(CodecTest, EventRoundTrip) {
  core::Event e{"Warning", "container/c", "BackOff", "msg \"quoted\"", 7, 11, 13};
  StatusOr<core::Event> got = DecodeEvent(EncodeEvent(e));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->type, e.type);
  EXPECT_EQ(got->name, e.name);
  EXPECT_EQ(got->reason, e.reason);
  EXPECT_EQ(got->message, e.message);
  EXPECT_EQ(got->count, 7);
  EXPECT_EQ(got->first_timestamp, 11);
  EXPECT_EQ(got->last_timestamp, 13);
}

TEST(CodecTest, OptionalsEncodeAsNullAndBack) {
  core::GroupStatus s;
  s.containers.resize(1);
  s.containers[0].current.exit_code = 3;
  std::string text = EncodeStatus(s);
  EXPECT_NE(text.find("\"signal\":null"), std::string::npos) << text;
  StatusOr<core::GroupStatus> got = DecodeStatus(text);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->containers[0].current.exit_code, 3);
  EXPECT_FALSE(got->containers[0].current.signal.has_value());
}

TEST(CodecTest, MissingFieldsTakeDefaultsAtEveryDepth) {
  StatusOr<core::Event> e = DecodeEvent(R"({"reason":"Pulled"})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->type, "Normal");
  EXPECT_EQ(e->count, 1);
  EXPECT_EQ(e->reason, "Pulled");

  StatusOr<core::ContainerGroupSpec> spec =
      DecodeSpec(R"({"containers":[{"name":"a","ports":[{"port":80}]}]})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_EQ(spec->containers.size(), 1u);
  EXPECT_EQ(spec->containers[0].pull_policy, core::PullPolicy::IfNotPresent);
  ASSERT_EQ(spec->containers[0].ports.size(), 1u);
  EXPECT_EQ(spec->containers[0].ports[0].protocol, "TCP");

  StatusOr<core::GroupStatus> status =
      DecodeStatus(R"({"containers":[{"current":{"exit_code":1}}]})");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->containers[0].current.exit_code, 1);
  EXPECT_FALSE(status->containers[0].previous.exit_code.has_value());
}

TEST(CodecTest, UnknownKeysAreIgnored) {
  StatusOr<core::Event> e = DecodeEvent(R"({"reason":"X","gone":{"a":1}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->reason, "X");
}

TEST(CodecTest, MalformedRecordsAreInternalErrors) {
  for (const char* text :
       {"", "not json", "[1,2]", R"({"count":"many"})", R"({"count":1.5e300})"}) {
    StatusOr<core::Event> e = DecodeEvent(text);
    ASSERT_FALSE(e.ok()) << text;
    EXPECT_EQ(e.status().cls(), StatusClass::kInternal) << text;
    EXPECT_FALSE(e.status().message().empty());
  }
  StatusOr<core::ContainerGroupSpec> spec = DecodeSpec(R"({"restart_policy":"Sometimes"})");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().cls(), StatusClass::kInternal);
  spec = DecodeSpec(R"({"containers":{"name":"not an array"}})");
  EXPECT_FALSE(spec.ok());
}

}  // namespace
}  // namespace openeci::store
