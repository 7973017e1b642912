#include "server/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace openeci::server {
namespace {

// Sets OPENECI_* variables for one test and removes them afterwards.
class ConfigEnvTest : public ::testing::Test {
 protected:
  void Set(const char* name, const char* value) {
    ::setenv(name, value, 1);
    set_.push_back(name);
  }
  void TearDown() override {
    for (const char* name : set_) ::unsetenv(name);
  }
  std::vector<const char*> set_;
};

TEST_F(ConfigEnvTest, PlainHttpByDefault) {
  auto c = LoadConfig("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->tls_cert.empty());
  EXPECT_TRUE(c->tls_key.empty());
}

TEST_F(ConfigEnvTest, TakesTheTlsCertificateAndKey) {
  Set("OPENECI_TLS_CERT", "/etc/openeci/server.pem");
  Set("OPENECI_TLS_KEY", "/etc/openeci/server.key");
  auto c = LoadConfig("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->tls_cert, "/etc/openeci/server.pem");
  EXPECT_EQ(c->tls_key, "/etc/openeci/server.key");
}

TEST_F(ConfigEnvTest, RefusesTlsCertificateWithoutKeyAndKeyWithoutCertificate) {
  for (const char* given : {"OPENECI_TLS_CERT", "OPENECI_TLS_KEY"}) {
    Set(given, "/etc/openeci/file.pem");
    auto c = LoadConfig("");
    ASSERT_FALSE(c.ok()) << given;
    EXPECT_EQ(c.status().api_code(), "InvalidParameter");
    EXPECT_NE(c.status().message().find("set both OPENECI_TLS_CERT and OPENECI_TLS_KEY"),
              std::string::npos)
        << c.status().message();
    ::unsetenv(given);
  }
}

TEST_F(ConfigEnvTest, PullProgressTimeoutDefaultsToAMinuteAndRefusesNegative) {
  auto defaults = LoadConfig("");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->pull_progress_timeout_seconds, 60);
  Set("OPENECI_PULL_PROGRESS_TIMEOUT_SECONDS", "0");
  auto off = LoadConfig("");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(off->pull_progress_timeout_seconds, 0);
  Set("OPENECI_PULL_PROGRESS_TIMEOUT_SECONDS", "-1");
  auto bad = LoadConfig("");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("pull_progress_timeout_seconds"), std::string::npos)
      << bad.status().message();
}

TEST_F(ConfigEnvTest, HttpMaxConnectionsDefaultsTo512AndRefusesZero) {
  auto defaults = LoadConfig("");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->http_max_connections, 512);
  Set("OPENECI_HTTP_MAX_CONNECTIONS", "64");
  auto set = LoadConfig("");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->http_max_connections, 64);
  Set("OPENECI_HTTP_MAX_CONNECTIONS", "0");
  auto bad = LoadConfig("");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("http_max_connections"), std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace openeci::server
