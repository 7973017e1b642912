// Unit tests of image caches: ImageCacheService (validation, quota, tokens, describe filters,
// ImageSnapshotId checks), the ImageCacheController (pulls, Progress, size check, expiry,
// removal of unused images) and the group controller's cache hit (no pull, an event,
// LastMatchedTime). Real SQLite store, the in-memory FakeRuntime, a FakeClock.
#include "controller/image_cache_controller.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/ids.h"
#include "controller/controller.h"
#include "controller/fake_runtime.h"
#include "core/image_cache_service.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::controller {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::milliseconds;

constexpr const char* kAccount = "1234567890";
constexpr const char* kImage = "127.0.0.1:5000/library/busybox:1.36";
constexpr const char* kOther = "127.0.0.1:5000/library/alpine:3";

class ImageCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "image_cache_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto store = store::SqliteStore::Open(dir_ + "/openeci.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    service_ = std::make_unique<core::ImageCacheService>(*store_, clock_, topology_);
    caches_ = std::make_unique<ImageCacheController>(*store_, runtime_, clock_);
  }
  void TearDown() override {
    caches_.reset();
    service_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  core::ImageCacheRequest Request(std::vector<std::string> images = {kImage}) {
    core::ImageCacheRequest r;
    r.region_id = "cn-hangzhou";
    r.name = "cache";
    r.images = std::move(images);
    return r;
  }

  std::string Create(core::ImageCacheRequest r) {
    auto created = service_->Create(kAccount, std::move(r), "", "");
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->image_cache_id : "";
  }

  core::ImageCache Cache(const std::string& id) {
    auto c = store_->GetImageCache(id);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : core::ImageCache{};
  }

  milliseconds Reconcile(const std::string& id) {
    auto next = caches_->Reconcile(id);
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    return next.ok() ? *next : milliseconds(-1);
  }

  bool HasEvent(const core::ImageCache& c, const std::string& reason) {
    for (const auto& e : c.events) {
      if (e.reason == reason) return true;
    }
    return false;
  }

  std::string dir_;
  FakeClock clock_{FromUnixMillis(1'700'000'000'000)};
  core::Topology topology_;
  FakeRuntime runtime_{clock_};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<core::ImageCacheService> service_;
  std::unique_ptr<ImageCacheController> caches_;
};

TEST_F(ImageCacheTest, CreateValidates) {
  auto r = Request();
  r.name = "Bad_Name";
  EXPECT_EQ(service_->Create(kAccount, r, "", "").status().api_code(), "InvalidParameter");
  r = Request({});
  EXPECT_EQ(service_->Create(kAccount, r, "", "").status().api_code(), "MissingParameter");
  r = Request();
  r.size_gib = 0;
  EXPECT_EQ(service_->Create(kAccount, r, "", "").status().api_code(), "InvalidParameter");
  r = Request();
  r.retention_days = -1;
  EXPECT_EQ(service_->Create(kAccount, r, "", "").status().api_code(), "InvalidParameter");
  r = Request();
  r.vswitch_id = "vsw-nope";
  EXPECT_EQ(service_->Create(kAccount, r, "", "").status().api_code(),
            "InvalidVSwitchId.NotFound");
}

TEST_F(ImageCacheTest, QuotaOfTwentyPerAccountAndClientToken) {
  for (int i = 0; i < core::kMaxImageCachesPerAccount; ++i) Create(Request());
  auto over = service_->Create(kAccount, Request(), "", "");
  EXPECT_EQ(over.status().api_code(), "QuotaExceeded");
  EXPECT_EQ(over.status().cls(), StatusClass::kResourceExhausted);
  // Another account has its own quota; a token answers the first cache again.
  auto a = service_->Create("other", Request(), "tok", "fp");
  auto b = service_->Create("other", Request(), "tok", "fp");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->image_cache_id, b->image_cache_id);
  EXPECT_EQ(a->container_group_id, b->container_group_id);
  EXPECT_EQ(service_->Create("other", Request(), "tok", "fp2").status().api_code(),
            "IdempotentParameterMismatch");
}

TEST_F(ImageCacheTest, PullsEveryImageThenReady) {
  std::string id = Create(Request({kImage, kOther}));
  EXPECT_EQ(Cache(id).status, core::ImageCacheStatus::Creating);
  Reconcile(id);
  core::ImageCache c = Cache(id);
  EXPECT_EQ(c.status, core::ImageCacheStatus::Ready);
  EXPECT_EQ(c.images_done, 2);
  EXPECT_EQ(c.snapshot_id, "s-" + id.substr(4));
  EXPECT_EQ(runtime_.Pulls().size(), 2u);
  EXPECT_TRUE(HasEvent(c, "Pulled"));
  EXPECT_TRUE(HasEvent(c, "ImageCacheReady"));
  // Describe filters.
  store::ImageCacheQuery q;
  q.account_id = kAccount;
  q.image = kOther;
  EXPECT_EQ(service_->Describe(q)->total_count, 1);
  q.image = "nope:1";
  EXPECT_EQ(service_->Describe(q)->total_count, 0);
  q = {};
  q.account_id = kAccount;
  q.snapshot_id = c.snapshot_id;
  EXPECT_EQ(service_->Describe(q)->total_count, 1);
  q.account_id = "someone-else";
  EXPECT_EQ(service_->Describe(q)->total_count, 0);
}

TEST_F(ImageCacheTest, PullFailureFailsAndExpiresAfterOneDay) {
  runtime_.FailPulls("401 Unauthorized");
  std::string id = Create(Request());
  Reconcile(id);
  core::ImageCache c = Cache(id);
  EXPECT_EQ(c.status, core::ImageCacheStatus::Failed);
  EXPECT_TRUE(HasEvent(c, "Failed"));
  EXPECT_GT(Reconcile(id).count(), 0);
  clock_.Advance(hours(25));
  Reconcile(id);
  EXPECT_EQ(store_->GetImageCache(id).status().cls(), StatusClass::kNotFound);
}

TEST_F(ImageCacheTest, ImagesLargerThanImageCacheSizeFail) {
  runtime_.SetImageSize(kImage, 2ULL << 30);  // 2 GiB
  auto r = Request();
  r.size_gib = 1;
  std::string id = Create(r);
  Reconcile(id);
  core::ImageCache c = Cache(id);
  EXPECT_EQ(c.status, core::ImageCacheStatus::Failed);
  EXPECT_TRUE(HasEvent(c, "ImageCacheSizeExceeded"));
}

TEST_F(ImageCacheTest, RetentionDaysExpireReadyCacheAndRemoveItsImages) {
  auto r = Request();
  r.retention_days = 2;
  std::string id = Create(r);
  Reconcile(id);
  ASSERT_EQ(Cache(id).status, core::ImageCacheStatus::Ready);
  clock_.Advance(hours(24));
  Reconcile(id);
  EXPECT_TRUE(store_->GetImageCache(id).ok());
  clock_.Advance(hours(25));
  Reconcile(id);
  EXPECT_EQ(store_->GetImageCache(id).status().cls(), StatusClass::kNotFound);
  EXPECT_FALSE(*runtime_.ImageExists(kImage));
}

TEST_F(ImageCacheTest, DeleteKeepsImagesOthersUse) {
  std::string a = Create(Request({kImage, kOther}));
  std::string b = Create(Request({kImage}));
  Reconcile(a);
  Reconcile(b);
  ASSERT_TRUE(service_->Delete(kAccount, a).ok());
  EXPECT_EQ(service_->Delete(kAccount, a).api_code(), "InvalidParameter.NotFound");
  Reconcile(a);
  EXPECT_EQ(store_->GetImageCache(a).status().cls(), StatusClass::kNotFound);
  EXPECT_TRUE(*runtime_.ImageExists(kImage));   // pinned by b
  EXPECT_FALSE(*runtime_.ImageExists(kOther));  // used by nothing else
}

TEST_F(ImageCacheTest, SnapshotChecksForCreateContainerGroup) {
  EXPECT_EQ(service_->CheckUsable(kAccount, "imc-doesnotexist").api_code(), "ImageSnapshot.NotFound");
  std::string id = Create(Request());
  EXPECT_EQ(service_->CheckUsable(kAccount, id).api_code(), "ImageSnapshot.IncorrectStatus");
  Reconcile(id);
  EXPECT_TRUE(service_->CheckUsable(kAccount, id).ok());
  EXPECT_TRUE(service_->CheckUsable(kAccount, "s-" + id.substr(4)).ok());
  EXPECT_EQ(service_->CheckUsable("other", id).api_code(), "ImageSnapshot.NotFound");
}

TEST_F(ImageCacheTest, GroupWithAutoMatchUsesTheCacheWithoutPulling) {
  std::string id = Create(Request());
  Reconcile(id);
  size_t pulls = runtime_.Pulls().size();
  clock_.Advance(hours(1));

  core::ContainerGroup g;
  g.id = NewResourceId("eci");
  g.account_id = kAccount;
  g.spec.name = "web";
  g.spec.region_id = "cn-hangzhou";
  g.spec.auto_match_image_cache = true;
  core::ContainerSpec c;
  c.name = "app";
  c.image = kImage;
  c.pull_policy = core::PullPolicy::Always;
  c.command = {"sleep", "3600"};
  g.spec.containers = {c};
  std::string existing;
  ASSERT_TRUE(store_->CreateGroup(g, std::nullopt, &existing).ok());
  ControllerOptions options;
  options.log_root = dir_ + "/logs";
  Controller groups(*store_, runtime_, clock_, options);
  ASSERT_TRUE(groups.Reconcile(g.id).ok());

  EXPECT_EQ(runtime_.Pulls().size(), pulls) << "a cached image is never pulled";
  auto events = store_->ListEvents(g.id);
  ASSERT_TRUE(events.ok());
  bool hit = false;
  for (const auto& e : *events) {
    if (e.reason == "ImageCacheHit") {
      hit = true;
      EXPECT_NE(e.message.find("Successfully matched image cache " + id), std::string::npos);
    }
  }
  EXPECT_TRUE(hit);
  EXPECT_EQ(Cache(id).last_matched_time, ToUnixMillis(clock_.Now()));
}

}  // namespace
}  // namespace openeci::controller
