// ContainerGroupService's admission over the real SQLite store: node capacity (NoStock), the
// account quota (QuotaExceeded), DryRun, and concurrent creates that must not overshoot.
#include "core/container_group_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "core/lifecycle.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::core {
namespace {

namespace fs = std::filesystem;

class GroupServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "group_service_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto store = store::SqliteStore::Open(dir_ + "/openeci.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  ContainerGroupService& Service(double cpu, double memory, int64_t quota) {
    AdmissionPolicy policy;
    policy.capacity = {cpu, memory, 0};
    policy.max_groups_per_account = quota;
    service_ = std::make_unique<ContainerGroupService>(*store_, clock_, topology_, policy);
    return *service_;
  }

  // A group of `cpu` vCPUs and `memory` GiB (an allowed combination).
  static ContainerGroupSpec Spec(double cpu, double memory) {
    ContainerGroupSpec spec;
    spec.name = "job";
    spec.region_id = "cn-hangzhou";
    spec.cpu = cpu;
    spec.memory_gib = memory;
    ContainerSpec c;
    c.name = "app";
    c.image = "busybox";
    spec.containers.push_back(c);
    return spec;
  }

  StatusOr<std::string> Create(const std::string& account, double cpu, double memory,
                               bool dry_run = false) {
    return service_->Create(account, Spec(cpu, memory), "", "", dry_run);
  }

  void Finish(const std::string& id, GroupPhase phase) {
    StatusOr<ContainerGroup> g = store_->GetGroup(id);
    ASSERT_TRUE(g.ok());
    g->status.phase = phase;
    ASSERT_TRUE(store_->UpdateGroup(*g, g->revision).ok());
  }

  int64_t Stored() { return store_->ListAllGroups()->size(); }

  std::string dir_;
  FakeClock clock_{FromUnixMillis(1'700'000'000'000)};
  Topology topology_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<ContainerGroupService> service_;
};

TEST_F(GroupServiceTest, GroupsThatDoNotFitTheNodeAreRefusedWithNoStock) {
  Service(4, 8, 0);
  ASSERT_TRUE(Create("a", 2, 4).ok());
  ASSERT_TRUE(Create("b", 1, 2).ok());
  StatusOr<std::string> over = Create("a", 2, 4);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().api_code(), "OperationDenied.NoStock");
  EXPECT_EQ(Stored(), 2);
  ASSERT_TRUE(Create("a", 1, 2).ok());  // what is left fits
  EXPECT_EQ(Create("a", 0.25, 0.5).status().api_code(), "OperationDenied.NoStock");
}

TEST_F(GroupServiceTest, FinishedAndDeletedGroupsGiveTheirCapacityBack) {
  Service(2, 4, 0);
  StatusOr<std::string> first = Create("a", 2, 4);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Create("a", 2, 4).status().api_code(), "OperationDenied.NoStock");
  Finish(*first, GroupPhase::Succeeded);
  StatusOr<std::string> second = Create("a", 2, 4);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE(service_->Delete("a", *second).ok());
  EXPECT_TRUE(Create("a", 2, 4).ok());
}

TEST_F(GroupServiceTest, GpusAreRefusedOnThisNode) {
  Service(64, 512, 0);
  ContainerGroupSpec spec = Spec(2, 4);
  spec.containers[0].gpu = 1;
  StatusOr<std::string> id = service_->Create("a", spec, "", "");
  EXPECT_EQ(id.status().api_code(), "OperationDenied.NoStock");
  EXPECT_NE(id.status().message().find("Container.1.Gpu"), std::string::npos);
  EXPECT_EQ(Stored(), 0);
}

TEST_F(GroupServiceTest, QuotaCountsTheAccountsLiveGroups) {
  Service(64, 512, 2);
  StatusOr<std::string> first = Create("a", 1, 2);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(Create("a", 1, 2).ok());
  StatusOr<std::string> third = Create("a", 1, 2);
  EXPECT_EQ(third.status().api_code(), "QuotaExceeded");
  EXPECT_EQ(third.status().cls(), StatusClass::kResourceExhausted);
  EXPECT_TRUE(Create("b", 1, 2).ok());  // another account has its own quota
  Finish(*first, GroupPhase::Failed);
  EXPECT_TRUE(Create("a", 1, 2).ok());  // a finished group no longer counts
}

TEST_F(GroupServiceTest, DryRunChecksEverythingAndStoresNothing) {
  Service(2, 4, 1);
  StatusOr<std::string> dry = Create("a", 2, 4, true);
  EXPECT_EQ(dry.status().api_code(), "DryRunOperation");
  EXPECT_EQ(Stored(), 0);
  ASSERT_TRUE(Create("a", 2, 4).ok());
  EXPECT_EQ(Create("a", 2, 4, true).status().api_code(), "QuotaExceeded");
  EXPECT_EQ(Create("b", 2, 4, true).status().api_code(), "OperationDenied.NoStock");
  EXPECT_EQ(Create("b", 1, 1, true).status().api_code(), "InvalidParameter.CPU.Memory");
  EXPECT_EQ(Stored(), 1);
}

TEST_F(GroupServiceTest, ARetriedCreateAnswersItsIdEvenWhenTheNodeIsFullNow) {
  Service(2, 4, 1);
  StatusOr<std::string> first = service_->Create("a", Spec(2, 4), "token-1", "fp");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  StatusOr<std::string> retry = service_->Create("a", Spec(2, 4), "token-1", "fp");
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_EQ(*retry, *first);
  EXPECT_EQ(service_->Create("a", Spec(2, 4), "token-1", "other").status().api_code(),
            "IdempotentParameterMismatch");
  EXPECT_EQ(service_->Create("a", Spec(2, 4), "token-2", "fp").status().api_code(),
            "QuotaExceeded");
  EXPECT_EQ(Stored(), 1);
}

TEST_F(GroupServiceTest, ConcurrentCreatesNeverOvershootTheCapacity) {
  Service(4, 8, 0);
  std::atomic<int> admitted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      StatusOr<std::string> id = Create("a", 1, 2);
      if (id.ok()) {
        ++admitted;
      } else if (id.status().api_code() == "OperationDenied.NoStock") {
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 4);
  EXPECT_EQ(refused.load(), 8);
  EXPECT_EQ(Stored(), 4);
}

}  // namespace
}  // namespace openeci::core
