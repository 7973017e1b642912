// ImageCacheProgressPercent: images pulled plus the received part of the current one.
#include <gtest/gtest.h>

#include "core/image_cache_service.h"

namespace openeci::core {
namespace {

ImageCache Cache(int images, int done, int permille) {
  ImageCache c;
  c.images.assign(images, "busybox");
  c.images_done = done;
  c.current_image_permille = permille;
  return c;
}

TEST(ImageCacheProgressTest, CountsImagesAndTheCurrentImagesBytes) {
  EXPECT_EQ(ImageCacheProgressPercent(Cache(2, 0, 0)), 0);
  EXPECT_EQ(ImageCacheProgressPercent(Cache(2, 0, 500)), 25);
  EXPECT_EQ(ImageCacheProgressPercent(Cache(2, 1, 0)), 50);
  EXPECT_EQ(ImageCacheProgressPercent(Cache(2, 1, 900)), 95);
  EXPECT_EQ(ImageCacheProgressPercent(Cache(3, 1, 0)), 33);
  EXPECT_EQ(ImageCacheProgressPercent(Cache(1, 0, 999)), 99);  // rounded down
  EXPECT_EQ(ImageCacheProgressPercent(Cache(2, 2, 0)), 100);
}

TEST(ImageCacheProgressTest, ReadyIsHundredAndBadValuesAreClamped) {
  ImageCache ready = Cache(2, 0, 0);
  ready.status = ImageCacheStatus::Ready;
  EXPECT_EQ(ImageCacheProgressPercent(ready), 100);
  EXPECT_EQ(ImageCacheProgressPercent(Cache(0, 0, 0)), 0);
  EXPECT_EQ(ImageCacheProgressPercent(Cache(2, 5, 700)), 100);
  EXPECT_EQ(ImageCacheProgressPercent(Cache(2, 0, 5000)), 50);
  EXPECT_EQ(ImageCacheProgressPercent(Cache(2, -1, -3)), 0);
}

}  // namespace
}  // namespace openeci::core
