// HandlerTest: the fixture of in-process handler tests. Each test gets a real SQLite store in a
// scratch directory of its own, the core ContainerGroupService over it, an ApiEnv around them
// and a FakeClock; Call runs one action's handler directly, as a signed-in account would.
// Single-threaded, like the tests that use it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "api/handlers/handlers.h"
#include "common/clock.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::api {

class HandlerTest : public ::testing::Test {
 protected:
  using Map = std::map<std::string, std::string>;

  explicit HandlerTest(TimePoint now) : clock_(now) {}

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("openeci-handler-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = store::SqliteStore::Open((dir_ / "db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    groups_ = std::make_unique<core::ContainerGroupService>(*store_, clock_, topology_);
    env_ = std::make_unique<ApiEnv>(ApiEnv{*groups_, topology_});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs `fn` with parameters `p` for `account`; every call has a fingerprint of its own.
  ActionResult Call(ActionFn fn, const Map& p, const std::string& account = "acct-1") {
    auto params = Params::Create(p);
    EXPECT_TRUE(params.ok());
    RequestContext ctx;
    ctx.request_id = "req";
    ctx.caller.account_id = account;
    ctx.fingerprint = "fp-" + std::to_string(++calls_);
    return fn(*env_, ctx, *params);
  }

  // Creates a group in cn-hangzhou with `p` for `account`; its ID, or "" (and a failure).
  std::string CreateGroup(Map p, const std::string& account = "acct-1") {
    p["RegionId"] = "cn-hangzhou";
    auto r = Call(&CreateContainerGroup, p, account);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::string((*r)["ContainerGroupId"].as_string()) : "";
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  core::Topology topology_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<core::ContainerGroupService> groups_;
  std::unique_ptr<ApiEnv> env_;
  int calls_ = 0;
};

}  // namespace openeci::api
