#include "api/params.h"

#include <gtest/gtest.h>

namespace openeci::api {
namespace {

using Strings = std::vector<std::string>;

Params Make(std::map<std::string, std::string> values) {
  auto p = Params::Create(std::move(values));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return std::move(p).value();
}

void ExpectInvalid(const Status& status, const std::string& code, const std::string& mentions) {
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.cls(), StatusClass::kInvalidArgument);
  EXPECT_EQ(status.api_code(), code);
  EXPECT_NE(status.message().find(mentions), std::string::npos) << status.message();
}

TEST(Params, RefusesObjectObject) {
  auto p = Params::Create({{"RegionId", "cn-hangzhou"}, {"DnsConfig", "[object Object]"}});
  ASSERT_FALSE(p.ok());
  ExpectInvalid(p.status(), "InvalidParameter", "\"DnsConfig\"");
  EXPECT_NE(p.status().message().find("DnsConfig.Child"), std::string::npos);
  // Only the exact value counts.
  EXPECT_TRUE(Params::Create({{"Name", "[object Object]s"}}).ok());
}

// Found by fuzz/flat_params: an image name ending in a stray byte passed validation and was
// stored as JSON that no longer parsed, so the group's every later read failed (InternalError).
TEST(Params, RefusesTextThatIsNotUtf8) {
  auto p = Params::Create({{"RegionId", "cn-hangzhou"}, {"Container.1.Image", "busybox\xD5"}});
  ASSERT_FALSE(p.ok());
  ExpectInvalid(p.status(), "InvalidParameter", "\"Container.1.Image\" is not valid UTF-8");
  p = Params::Create({{"Tag.1.Key\xFF", "v"}});
  ASSERT_FALSE(p.ok());
  ExpectInvalid(p.status(), "InvalidParameter", "\"Tag.1.Key\xEF\xBF\xBD\"");
  EXPECT_TRUE(Params::Create({{"Tag.1.Value", "a b*c~d+e/\xC3\xA9"}}).ok());
}

TEST(Params, GetAndHas) {
  Params p = Make({{"A", "1"}, {"Empty", ""}});
  EXPECT_TRUE(p.Has("A"));
  EXPECT_FALSE(p.Has("B"));
  EXPECT_EQ(p.Get("A"), "1");
  EXPECT_EQ(p.Get("Empty"), "");
  EXPECT_EQ(p.Get("B"), std::nullopt);
}

TEST(Params, Required) {
  Params p = Make({{"A", "1"}, {"Empty", ""}});
  auto a = p.Required("A");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "1");
  const std::string expected =
      "The input parameter \"RegionId\" that is mandatory for processing this request is not "
      "supplied.";
  auto missing = p.Required("RegionId");
  ExpectInvalid(missing.status(), "MissingParameter", expected);
  EXPECT_EQ(missing.status().message(), expected);
  ExpectInvalid(p.Required("Empty").status(), "MissingParameter", "\"Empty\"");
}

TEST(Params, LenientNumbers) {
  Params p = Make({{"I", "2"},
                   {"F", "2.0"},
                   {"E", "1e3"},
                   {"Half", "1.5"},
                   {"Quarter", "0.25"},
                   {"Tiny", "1e-7"},
                   {"Huge", "1e+21"},
                   {"Neg", "-3"},
                   {"Spaced", "  7 "},
                   {"Plus", "+4"},
                   {"Big", "9007199254740993"},
                   {"Blank", ""}});
  EXPECT_EQ(*p.GetInt("I"), 2);
  EXPECT_EQ(*p.GetInt("F"), 2);
  EXPECT_EQ(*p.GetInt("E"), 1000);
  EXPECT_EQ(*p.GetInt("Neg"), -3);
  EXPECT_EQ(*p.GetInt("Spaced"), 7);
  EXPECT_EQ(*p.GetInt("Plus"), 4);
  EXPECT_EQ(*p.GetInt("Big"), 9007199254740993);  // no detour through double
  EXPECT_EQ(*p.GetDouble("Half"), 1.5);
  EXPECT_EQ(*p.GetDouble("Quarter"), 0.25);
  EXPECT_EQ(*p.GetDouble("Tiny"), 1e-7);
  EXPECT_EQ(*p.GetDouble("Huge"), 1e21);
  EXPECT_EQ(*p.GetDouble("I"), 2.0);
  EXPECT_EQ(*p.GetDouble("Missing"), std::nullopt);
  EXPECT_EQ(*p.GetInt("Missing"), std::nullopt);
  EXPECT_EQ(*p.GetInt("Blank"), std::nullopt);
  ExpectInvalid(p.GetInt("Half").status(), "InvalidParameter", "\"Half\"");
  ExpectInvalid(p.GetInt("Huge").status(), "InvalidParameter", "\"Huge\"");
}

TEST(Params, NonNumeric) {
  Params p = Make({{"Cpu", "abc"},
                   {"Inf", "inf"},
                   {"NaN", "nan"},
                   {"Two", "1 2"},
                   {"Hex", "0x10"},
                   {"Signs", "+-1"}});
  auto cpu = p.GetDouble("Cpu");
  ExpectInvalid(cpu.status(), "InvalidParameter",
                "The parameter \"Cpu\" must be a number, got \"abc\".");
  ExpectInvalid(p.GetInt("Cpu").status(), "InvalidParameter",
                "The parameter \"Cpu\" must be a number, got \"abc\".");
  for (const char* key : {"Inf", "NaN", "Two", "Hex", "Signs"}) {
    ExpectInvalid(p.GetDouble(key).status(), "InvalidParameter", key);
    ExpectInvalid(p.GetInt(key).status(), "InvalidParameter", key);
  }
}

TEST(Params, Booleans) {
  Params p = Make({{"T", "true"}, {"F", "FALSE"}, {"M", " True "}, {"One", "1"}, {"Yes", "yes"}});
  EXPECT_EQ(*p.GetBool("T"), true);
  EXPECT_EQ(*p.GetBool("F"), false);
  EXPECT_EQ(*p.GetBool("M"), true);
  EXPECT_EQ(*p.GetBool("Missing"), std::nullopt);
  ExpectInvalid(p.GetBool("One").status(), "InvalidParameter", "\"One\"");
  ExpectInvalid(p.GetBool("Yes").status(), "InvalidParameter", "\"Yes\"");
}

TEST(Params, IndicesTolerateGaps) {
  Params p = Make({{"Container.1.Name", "a"},
                   {"Container.1.Image", "nginx"},
                   {"Container.3.Name", "c"},
                   {"Container.10.Name", "j"},
                   {"Container.2", "bare"},
                   {"Container.01.Name", "leading zero"},
                   {"Container.0.Name", "zero"},
                   {"Container.x.Name", "not a number"},
                   {"Container.-1.Name", "negative"},
                   {"Containers.4.Name", "other prefix"},
                   {"Container", "bare prefix"},
                   {"InitContainer.5.Name", "i"}});
  EXPECT_EQ(p.Indices("Container"), (std::vector<int>{1, 2, 3, 10}));
  EXPECT_EQ(p.Indices("InitContainer"), (std::vector<int>{5}));
  EXPECT_EQ(p.Indices("Container.1.EnvironmentVar"), std::vector<int>{});
  // Indices does not consume.
  EXPECT_EQ(p.Unconsumed().size(), 12u);
}

TEST(Params, NestedIndices) {
  Params p = Make({{"Container.1.EnvironmentVar.3.FieldRef.FieldPath", "status.podIP"},
                   {"Container.1.EnvironmentVar.1.Key", "A"},
                   {"Container.2.ReadinessProbe.Exec.Command.2", "/tmp/ready"}});
  EXPECT_EQ(p.Indices("Container.1.EnvironmentVar"), (std::vector<int>{1, 3}));
  EXPECT_EQ(p.List("Container.2.ReadinessProbe.Exec.Command"), (Strings{"/tmp/ready"}));
}

TEST(Params, ListInIndexOrderExactKeysOnly) {
  Params p = Make({{"NtpServer.10", "j"},
                   {"NtpServer.2", "b"},
                   {"NtpServer.1", "a"},
                   {"NtpServer.3.Extra", "nested, not a list item"},
                   {"NtpServer.05", "leading zero"},
                   {"DnsConfig.NameServer.2", "8.8.8.8"}});
  EXPECT_EQ(p.List("NtpServer"), (Strings{"a", "b", "j"}));
  EXPECT_EQ(p.List("DnsConfig.NameServer"), (Strings{"8.8.8.8"}));
  EXPECT_EQ(p.List("Missing"), Strings{});
  EXPECT_EQ(p.Unconsumed(), (Strings{"NtpServer.05", "NtpServer.3.Extra"}));
}

TEST(Params, JsonStringArray) {
  Params p = Make({{"ContainerGroupIds", "[\"eci-1\",\"eci-2\"]"},
                   {"Empty", "[]"},
                   {"Object", "{\"a\":1}"},
                   {"Mixed", "[\"a\",1]"},
                   {"Broken", "[\"a\""},
                   {"Bare", "eci-1"}});
  auto ids = p.JsonStringArray("ContainerGroupIds");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (Strings{"eci-1", "eci-2"}));
  EXPECT_EQ(*p.JsonStringArray("Empty"), Strings{});
  EXPECT_EQ(*p.JsonStringArray("Missing"), Strings{});
  for (const char* key : {"Object", "Mixed", "Broken", "Bare"}) {
    ExpectInvalid(p.JsonStringArray(key).status(), "InvalidParameter",
                  std::string("\"") + key + "\"");
  }
}

TEST(Params, ConsumptionTracking) {
  Params p = Make({{"A", "1"},
                   {"B", "2"},
                   {"C", "x"},
                   {"D", "true"},
                   {"E", "[]"},
                   {"F", "3"},
                   {"G", "4"},
                   {"H", "5"},
                   {"L.1", "6"},
                   {"Unknown", "7"},
                   {"Signature", "s"}});
  EXPECT_EQ(p.Unconsumed().size(), 11u);
  p.Has("A");
  p.Get("B");
  (void)p.Required("C");
  (void)p.GetBool("D");
  (void)p.JsonStringArray("E");
  (void)p.GetInt("F");
  (void)p.GetDouble("G");
  (void)p.GetDouble("C");  // a failed read still counts as read
  p.Consume("H");
  p.Consume("NotThere");
  p.List("L");
  p.Consume("Signature");
  EXPECT_EQ(p.Unconsumed(), (Strings{"Unknown"}));
}

}  // namespace
}  // namespace openeci::api
