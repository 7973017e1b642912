// PullProgress arithmetic over hand-made ingest snapshots (the probe itself is tested against
// a real containerd in cri/cri_runtime_test.cc).
#include "runtime/containerd/pull_progress.h"

#include <gtest/gtest.h>

namespace openeci::runtime {
namespace {

TEST(PullProgressTest, NothingSeenIsZero) {
  PullProgress p;
  EXPECT_EQ(p.Update({}), 0.0);
  EXPECT_EQ(p.Update({{"manifest-sha256:aa", 100, 1000}}), 0.0);  // not a layer
  EXPECT_EQ(p.Update({{"layer-sha256:aa", 0, 0}}), 0.0);          // size not known yet
}

TEST(PullProgressTest, SumsOffsetsOverTotalsOfLayers) {
  PullProgress p;
  EXPECT_DOUBLE_EQ(
      p.Update(
          {{"layer-sha256:a", 100, 400}, {"layer-sha256:b", 0, 600}, {"config-sha256:c", 10, 10}}),
      0.1);
  EXPECT_DOUBLE_EQ(p.Update({{"layer-sha256:a", 400, 400}, {"layer-sha256:b", 100, 600}}), 0.5);
}

TEST(PullProgressTest, VanishedLayerCountsAsCompleteAndIsReportedOnce) {
  PullProgress p;
  p.Update({{"layer-sha256:a", 100, 400}, {"layer-sha256:b", 0, 400}});
  EXPECT_DOUBLE_EQ(p.Update({{"layer-sha256:b", 200, 400}}), 0.75);
  ASSERT_EQ(p.just_completed().size(), 1u);
  EXPECT_EQ(p.just_completed()[0].ref, "layer-sha256:a");
  EXPECT_EQ(p.just_completed()[0].total, 400);
  EXPECT_DOUBLE_EQ(p.Update({}), 1.0);
  ASSERT_EQ(p.just_completed().size(), 1u);
  EXPECT_EQ(p.just_completed()[0].ref, "layer-sha256:b");
  EXPECT_TRUE(p.Update({}) == 1.0 && p.just_completed().empty());
}

TEST(PullProgressTest, NeverDecreasesWhenANewLayerAppears) {
  PullProgress p;
  EXPECT_DOUBLE_EQ(p.Update({{"layer-sha256:a", 90, 100}}), 0.9);
  // A big layer starts: 90 of 1100 bytes would be 8%, but the answer does not go back.
  EXPECT_DOUBLE_EQ(p.Update({{"layer-sha256:a", 90, 100}, {"layer-sha256:b", 0, 1000}}), 0.9);
  EXPECT_DOUBLE_EQ(p.fraction(), 0.9);
  // A restarted ingest (offset back to 0) keeps the bytes it had: (90 + 1000) / 1100.
  EXPECT_DOUBLE_EQ(p.Update({{"layer-sha256:a", 0, 100}, {"layer-sha256:b", 1000, 1000}}),
                   1090.0 / 1100.0);
}

}  // namespace
}  // namespace openeci::runtime
