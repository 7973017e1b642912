#include "server/keys_command.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <sstream>

#include "store/sqlite/sqlite_store.h"

namespace openeci::server {
namespace {

// The admin command and the server are two handles on one database file, as in production.
class KeysCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "keys_cmd_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto admin = store::SqliteStore::Open(dir_ + "/openeci.db");
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(admin).value();
    auto server = store::SqliteStore::Open(dir_ + "/openeci.db");
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  void TearDown() override {
    admin_.reset();
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  int Run(KeysCommand c) {
    out_.str("");
    err_.str("");
    return RunKeysCommand(*admin_, clock_, c, out_, err_);
  }
  // The value after "<field>: " in the create output.
  std::string Field(const std::string& field) {
    std::string text = out_.str();
    size_t at = text.find(field + ": ");
    if (at == std::string::npos) return "";
    at += field.size() + 2;
    return text.substr(at, text.find('\n', at) - at);
  }

  FakeClock clock_{TimePoint(std::chrono::seconds(1'700'000'000))};
  std::string dir_;
  std::unique_ptr<store::SqliteStore> admin_;
  std::unique_ptr<store::SqliteStore> server_;
  std::ostringstream out_, err_;
};

TEST_F(KeysCommandTest, CreatePrintsTheSecretOnceAndTheServerSeesTheKey) {
  ASSERT_EQ(Run({"create", "tenant-a", ""}), 0) << err_.str();
  std::string id = Field("AccessKeyId");
  std::string secret = Field("AccessKeySecret");
  EXPECT_EQ(Field("AccountId"), "tenant-a");
  EXPECT_EQ(id.size(), 24u);
  EXPECT_EQ(secret.size(), 30u);

  StatusOr<core::AccessKey> seen = server_->GetAccessKey(id);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  EXPECT_EQ(seen->account_id, "tenant-a");
  EXPECT_EQ(seen->secret, secret);
  EXPECT_TRUE(seen->enabled);

  ASSERT_EQ(Run({"list", "", ""}), 0);
  EXPECT_NE(out_.str().find(id), std::string::npos);
  EXPECT_NE(out_.str().find("tenant-a"), std::string::npos);
  EXPECT_NE(out_.str().find("Enabled"), std::string::npos);
  EXPECT_EQ(out_.str().find(secret), std::string::npos) << "list never shows secrets";
}

TEST_F(KeysCommandTest, EachCreateIsANewKeyOfTheSameAccount) {
  ASSERT_EQ(Run({"create", "tenant-a", ""}), 0);
  std::string first = Field("AccessKeyId");
  ASSERT_EQ(Run({"create", "tenant-a", ""}), 0);
  EXPECT_NE(Field("AccessKeyId"), first);
  ASSERT_EQ(Run({"create", "tenant-b", ""}), 0);
  ASSERT_EQ(Run({"list", "tenant-a", ""}), 0);
  EXPECT_EQ(out_.str().find("tenant-b"), std::string::npos);
  StatusOr<std::vector<core::AccessKey>> all = server_->ListAccessKeys();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
}

TEST_F(KeysCommandTest, DisableEnableAndDeleteReachTheServerWithoutARestart) {
  ASSERT_EQ(Run({"create", "tenant-a", ""}), 0);
  std::string id = Field("AccessKeyId");
  ASSERT_TRUE(server_->GetAccessKey(id).ok());  // the server has read it once

  ASSERT_EQ(Run({"disable", "", id}), 0) << err_.str();
  EXPECT_FALSE(server_->GetAccessKey(id)->enabled);
  ASSERT_EQ(Run({"list", "", ""}), 0);
  EXPECT_NE(out_.str().find("Disabled"), std::string::npos);

  ASSERT_EQ(Run({"enable", "", id}), 0) << err_.str();
  EXPECT_TRUE(server_->GetAccessKey(id)->enabled);

  ASSERT_EQ(Run({"delete", "", id}), 0) << err_.str();
  EXPECT_EQ(server_->GetAccessKey(id).status().cls(), StatusClass::kNotFound);
}

TEST_F(KeysCommandTest, UnknownKeysAndBadUsageFail) {
  EXPECT_EQ(Run({"disable", "", "LTAInobody"}), 1);
  EXPECT_NE(err_.str().find("not found"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"delete", "", "LTAInobody"}), 1);
  EXPECT_EQ(Run({"enable", "", ""}), 2);
  EXPECT_EQ(Run({"create", "", ""}), 2);
  EXPECT_EQ(Run({"create", "-starts-with-dash", ""}), 2);
  EXPECT_EQ(Run({"create", "has space", ""}), 2);
  EXPECT_EQ(Run({"create", std::string(65, 'a'), ""}), 2);
  EXPECT_EQ(Run({"rotate", "", ""}), 2);
  StatusOr<std::vector<core::AccessKey>> all = server_->ListAccessKeys();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST(ValidAccountIdTest, AcceptsTheDocumentedAlphabet) {
  EXPECT_TRUE(ValidAccountId("openeci-default"));
  EXPECT_TRUE(ValidAccountId("A.b_c-9"));
  EXPECT_TRUE(ValidAccountId(std::string(64, 'x')));
  EXPECT_FALSE(ValidAccountId(""));
  EXPECT_FALSE(ValidAccountId(".hidden"));
  EXPECT_FALSE(ValidAccountId("a/b"));
}

}  // namespace
}  // namespace openeci::server
