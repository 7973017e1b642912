#include "cli/template_file.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/cli_error.h"

namespace openeci::cli {
namespace {

namespace json = boost::json;

TEST(YamlToJson, ScalarsFollowTheCoreSchema) {
  json::value v = YamlToJson(
      "s: hello\n"
      "quoted: \"8080\"\n"
      "single: 'true'\n"
      "i: 42\n"
      "neg: -7\n"
      "f: 1.5\n"
      "b: true\n"
      "n: ~\n"
      "empty:\n"
      "version: 1.0.4\n");
  EXPECT_EQ(v, json::parse(R"({"s":"hello","quoted":"8080","single":"true","i":42,"neg":-7,
                               "f":1.5,"b":true,"n":null,"empty":null,"version":"1.0.4"})"));
}

TEST(YamlToJson, NestedTemplateShape) {
  json::value v = YamlToJson(R"(regionId: cn-hangzhou
containerGroupName: web
restartPolicy: Never
tags:
  - key: env
    value: test
spec:
  containers:
    - name: app
      image: busybox
      command: ["/bin/sh", "-c"]
      args:
        - |
          echo hi
          sleep 1
      resources: {cpu: 0.5, memory: 1}
      ports:
        - containerPort: 80
          protocol: TCP
)");
  EXPECT_EQ(v, json::parse(R"({"regionId":"cn-hangzhou","containerGroupName":"web",
      "restartPolicy":"Never","tags":[{"key":"env","value":"test"}],
      "spec":{"containers":[{"name":"app","image":"busybox","command":["/bin/sh","-c"],
      "args":["echo hi\nsleep 1\n"],"resources":{"cpu":0.5,"memory":1},
      "ports":[{"containerPort":80,"protocol":"TCP"}]}]}})"));
}

TEST(YamlToJson, AliasesAreExpanded) {
  json::value v = YamlToJson("base: &r {cpu: 1}\ncopy: *r\n");
  EXPECT_EQ(v, json::parse(R"({"base":{"cpu":1},"copy":{"cpu":1}})"));
}

TEST(YamlToJson, HugeIntegersStayText) {
  EXPECT_EQ(YamlToJson("n: 99999999999999999999999\n"),
            json::parse(R"({"n":"99999999999999999999999"})"));
}

TEST(YamlToJson, ErrorsNameTheLine) {
  try {
    YamlToJson("a: [1, 2\nb: c\n", "t.yaml");
    FAIL() << "expected a parse error";
  } catch (const CliError& e) {
    EXPECT_EQ(e.exit_code(), ExitCode::kUsageError);
    EXPECT_NE(e.message().find("t.yaml"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("line"), std::string::npos) << e.message();
  }
  EXPECT_THROW(YamlToJson("a: 1\n---\nb: 2\n"), CliError);
}

class TemplateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/openeci-cli-tmpl-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
    return dir_ + "/" + name;
  }
  std::string dir_;
};

TEST_F(TemplateFileTest, JsonAndYamlGiveTheSameTemplate) {
  const std::string from_json =
      ReadTemplateFile(Write("t.json", R"({"containerGroupName": "a", "spec": {"x": [1]}})"));
  const std::string from_yaml =
      ReadTemplateFile(Write("t.yaml", "containerGroupName: a\nspec:\n  x:\n    - 1\n"));
  EXPECT_EQ(json::parse(from_json), json::parse(from_yaml));
  EXPECT_EQ(from_json, R"({"containerGroupName":"a","spec":{"x":[1]}})");
}

TEST_F(TemplateFileTest, TopLevelMustBeAnObjectAndFilesMustExist) {
  EXPECT_THROW(ReadTemplateFile(Write("list.yaml", "- a\n- b\n")), CliError);
  EXPECT_THROW(ReadTemplateFile(Write("bad.json", "{\"a\": ")), CliError);
  EXPECT_THROW(ReadTemplateFile(dir_ + "/missing.yaml"), CliError);
}

}  // namespace
}  // namespace openeci::cli
