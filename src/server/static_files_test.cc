#include "server/static_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace openeci::server {
namespace {

namespace fs = std::filesystem;

// A console directory in a fresh temp dir, with a secret file beside it (outside the root).
class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/static-files-test-XXXXXX";
    base_ = ::mkdtemp(tmpl);
    root_ = base_ / "console";
    fs::create_directories(root_ / "assets" / "sub");
    Write(root_ / "index.html", "<!doctype html><title>x</title>");
    Write(root_ / "app.js", "export const x = 1;");
    Write(root_ / "assets" / "style.css", "body{}");
    Write(root_ / "assets" / "a b.json", "{}");
    Write(base_ / "secret.txt", "top secret");
    fs::create_symlink(base_ / "secret.txt", root_ / "escape.txt");
  }
  void TearDown() override { fs::remove_all(base_); }

  static void Write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

  api::HttpResponse Get(const std::string& target, const std::string& method = "GET") {
    api::HttpRequest request;
    request.method = method;
    request.target = target;
    return StaticFiles(root_, "/console").Serve(request);
  }

  fs::path base_;
  fs::path root_;
};

TEST_F(StaticFilesTest, MatchesOnlyThePrefixAndBelow) {
  StaticFiles files(root_, "/console");
  EXPECT_TRUE(files.Matches("/console"));
  EXPECT_TRUE(files.Matches("/console/"));
  EXPECT_TRUE(files.Matches("/console/app.js?v=1"));
  EXPECT_TRUE(files.Matches("/console?x=1"));
  EXPECT_FALSE(files.Matches("/consoles"));
  EXPECT_FALSE(files.Matches("/"));
  EXPECT_FALSE(files.Matches("/?Action=DescribeRegions"));
  EXPECT_FALSE(files.Matches("/exec/abc"));
}

TEST_F(StaticFilesTest, PrefixAndSlashAnswerIndexHtml) {
  for (const char* target : {"/console", "/console/", "/console/?next=1", "/console/index.html"}) {
    api::HttpResponse r = Get(target);
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.content_type, "text/html;charset=utf-8") << target;
    EXPECT_EQ(r.body, "<!doctype html><title>x</title>") << target;
    EXPECT_TRUE(r.headers.count("Content-Security-Policy")) << target;
  }
}

TEST_F(StaticFilesTest, ContentTypesFollowTheExtension) {
  EXPECT_EQ(Get("/console/app.js").content_type, "text/javascript;charset=utf-8");
  EXPECT_EQ(Get("/console/assets/style.css").content_type, "text/css;charset=utf-8");
  api::HttpResponse json = Get("/console/assets/a%20b.json");
  EXPECT_EQ(json.status, 200);
  EXPECT_EQ(json.content_type, "application/json;charset=utf-8");
  EXPECT_EQ(StaticFiles::ContentTypeFor("x.svg"), "image/svg+xml");
  EXPECT_EQ(StaticFiles::ContentTypeFor("x.bin"), "application/octet-stream");
  EXPECT_EQ(Get("/console/app.js").headers.at("X-Content-Type-Options"), "nosniff");
}

TEST_F(StaticFilesTest, MissingFilesAndDirectoriesAre404) {
  EXPECT_EQ(Get("/console/nope.js").status, 404);
  EXPECT_EQ(Get("/console/assets").status, 404);
  EXPECT_EQ(Get("/console/assets/sub/").status, 404);
}

TEST_F(StaticFilesTest, NoTraversalOutOfTheRoot) {
  for (const char* target :
       {"/console/../secret.txt", "/console/%2e%2e/secret.txt", "/console/%2E%2E%2Fsecret.txt",
        "/console/assets/../../secret.txt", "/console/..%5csecret.txt", "/console/escape.txt",
        "/console/app.js%00.html", "/console/%zz"}) {
    api::HttpResponse r = Get(target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.body.find("top secret"), std::string::npos) << target;
  }
}

TEST_F(StaticFilesTest, OnlyGetAndHead) {
  api::HttpResponse post = Get("/console/app.js", "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.headers.at("Allow"), "GET, HEAD");
  api::HttpResponse head = Get("/console/app.js", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST_F(StaticFilesTest, MissingRootIs404) {
  api::HttpRequest request;
  request.method = "GET";
  request.target = "/console/";
  EXPECT_EQ(StaticFiles(base_ / "absent", "/console").Serve(request).status, 404);
}

}  // namespace
}  // namespace openeci::server
