#include "cli/profile.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/cli_error.h"

namespace openeci::cli {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

ConfigFile TwoProfiles() {
  ConfigFile c;
  c.current = "dev";
  c.profiles["dev"] = {"127.0.0.1:18080", "dev-id", "dev-secret", "cn-hangzhou"};
  c.profiles["prod"] = {"http://10.0.0.1:80/", "prod-id", "prod-secret", "cn-shanghai"};
  return c;
}

// Runs `f`, which must throw a usage error mentioning `text`.
template <typename F>
void ExpectUsageError(F f, const std::string& text) {
  try {
    f();
    FAIL() << "expected a usage error mentioning " << text;
  } catch (const CliError& e) {
    EXPECT_EQ(e.exit_code(), ExitCode::kUsageError);
    EXPECT_NE((e.message() + " " + e.hint()).find(text), std::string::npos) << e.Render();
  }
}

TEST(ResolveProfile, CurrentProfileByDefault) {
  Profile p = ResolveProfile(TwoProfiles(), {}, Env({}));
  EXPECT_EQ(p.endpoint, "http://127.0.0.1:18080");
  EXPECT_EQ(p.access_key_id, "dev-id");
  EXPECT_EQ(p.access_key_secret, "dev-secret");
  EXPECT_EQ(p.region_id, "cn-hangzhou");
}

TEST(ResolveProfile, FlagBeatsEnvWhichBeatsFileForTheProfileName) {
  EXPECT_EQ(ResolveProfile(TwoProfiles(), {}, Env({{"OPENECI_PROFILE", "prod"}})).access_key_id,
            "prod-id");
  ProfileFlags flags;
  flags.profile = "dev";
  EXPECT_EQ(ResolveProfile(TwoProfiles(), flags, Env({{"OPENECI_PROFILE", "prod"}})).access_key_id,
            "dev-id");
}

TEST(ResolveProfile, FieldsFlagsBeatEnvBeatProfile) {
  auto env = Env({{"OPENECI_ENDPOINT", "env-host:1"},
                  {"ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id"},
                  {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"},
                  {"ALIBABA_CLOUD_REGION_ID", "env-region"}});
  Profile from_env = ResolveProfile(TwoProfiles(), {}, env);
  EXPECT_EQ(from_env.endpoint, "http://env-host:1");
  EXPECT_EQ(from_env.access_key_id, "env-id");
  EXPECT_EQ(from_env.access_key_secret, "env-secret");
  EXPECT_EQ(from_env.region_id, "env-region");

  ProfileFlags flags{"", "http://flag-host:2", "flag-id", "flag-secret", "flag-region"};
  Profile from_flags = ResolveProfile(TwoProfiles(), flags, env);
  EXPECT_EQ(from_flags.endpoint, "http://flag-host:2");
  EXPECT_EQ(from_flags.access_key_id, "flag-id");
  EXPECT_EQ(from_flags.access_key_secret, "flag-secret");
  EXPECT_EQ(from_flags.region_id, "flag-region");
}

TEST(ResolveProfile, EmptyEnvValuesDoNotOverride) {
  Profile p = ResolveProfile(TwoProfiles(), {}, Env({{"OPENECI_ENDPOINT", ""}}));
  EXPECT_EQ(p.endpoint, "http://127.0.0.1:18080");
}

TEST(ResolveProfile, UnknownNamedProfileIsAUsageErrorWithAHint) {
  ProfileFlags flags;
  flags.profile = "staging";
  ExpectUsageError([&] { ResolveProfile(TwoProfiles(), flags, Env({})); }, "staging");
  ExpectUsageError([&] { ResolveProfile(TwoProfiles(), flags, Env({})); }, "dev, prod");
  ExpectUsageError([&] { ResolveProfile(TwoProfiles(), {}, Env({{"OPENECI_PROFILE", "x"}})); },
                   "eci configure --profile x");
}

TEST(ResolveProfile, NoConfigAtAllWorksFromEnvAlone) {
  Profile p = ResolveProfile({}, {}, Env({{"OPENECI_ENDPOINT", "h:1"},
                                          {"ALIBABA_CLOUD_ACCESS_KEY_ID", "i"},
                                          {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s"}}));
  EXPECT_EQ(p.endpoint, "http://h:1");
  EXPECT_EQ(p.region_id, kDefaultRegion);
}

TEST(ResolveProfile, CaFileFromFlagThenEnvThenProfile) {
  ConfigFile config;
  config.profiles["default"] = {"https://h:1", "id", "s", "", "/profile-ca.pem"};
  EXPECT_EQ(ResolveProfile(config, {}, Env({})).ca_file, "/profile-ca.pem");
  EXPECT_EQ(ResolveProfile(config, {}, Env({{"OPENECI_CA_FILE", "/env-ca.pem"}})).ca_file,
            "/env-ca.pem");
  ProfileFlags flags;
  flags.ca_file = "/flag-ca.pem";
  EXPECT_EQ(ResolveProfile(config, flags, Env({{"OPENECI_CA_FILE", "/env-ca.pem"}})).ca_file,
            "/flag-ca.pem");
}

TEST(ResolveProfile, MissingEndpointOrKeyIsAUsageError) {
  ExpectUsageError([] { ResolveProfile({}, {}, Env({})); }, "no endpoint");
  ExpectUsageError([] { ResolveProfile({}, {}, Env({{"OPENECI_ENDPOINT", "h:1"}})); },
                   "no AccessKey");
}

TEST(NormalizeEndpoint, AddsHttpKeepsHttpsAndRefusesOtherSchemes) {
  EXPECT_EQ(NormalizeEndpoint("127.0.0.1:18080"), "http://127.0.0.1:18080");
  EXPECT_EQ(NormalizeEndpoint("http://h:1/"), "http://h:1");
  EXPECT_EQ(NormalizeEndpoint("https://h:1/"), "https://h:1");
  ExpectUsageError([] { NormalizeEndpoint("ftp://h:1"); }, "neither http:// nor https://");
}

TEST(ConfigPath, FlagThenEnvThenHome) {
  EXPECT_EQ(ConfigPath("/f.json", Env({{"OPENECI_CONFIG", "/e.json"}})), "/f.json");
  EXPECT_EQ(ConfigPath("", Env({{"OPENECI_CONFIG", "/e.json"}, {"HOME", "/h"}})), "/e.json");
  EXPECT_EQ(ConfigPath("", Env({{"HOME", "/h"}})), "/h/.openeci/config.json");
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/openeci-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(ConfigFileTest, SaveThenLoadRoundTripsWithMode0600) {
  const std::string path = dir_ + "/sub/config.json";
  SaveConfig(path, TwoProfiles());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ConfigFile loaded = LoadConfig(path);
  EXPECT_EQ(loaded.current, "dev");
  ASSERT_EQ(loaded.profiles.size(), 2u);
  EXPECT_EQ(loaded.profiles["prod"].access_key_secret, "prod-secret");
  EXPECT_EQ(loaded.profiles["prod"].region_id, "cn-shanghai");
}

TEST_F(ConfigFileTest, MissingFileIsEmptyAndBrokenFileIsAUsageError) {
  EXPECT_TRUE(LoadConfig(dir_ + "/none.json").profiles.empty());
  std::ofstream(dir_ + "/bad.json") << "{not json";
  ExpectUsageError([&] { LoadConfig(dir_ + "/bad.json"); }, "bad.json");
}

}  // namespace
}  // namespace openeci::cli
