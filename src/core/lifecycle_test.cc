#include "core/lifecycle.h"

#include <gtest/gtest.h>

namespace openeci::core {
namespace {

using std::chrono::milliseconds;

TEST(Lifecycle, TableAllowsDiagramEdgesOnly) {
  EXPECT_TRUE(IsAllowedTransition(GroupPhase::Pending, GroupPhase::Running));
  EXPECT_TRUE(IsAllowedTransition(GroupPhase::Running, GroupPhase::Restarting));
  EXPECT_TRUE(IsAllowedTransition(GroupPhase::Restarting, GroupPhase::Running));
  EXPECT_TRUE(IsAllowedTransition(GroupPhase::Failed, GroupPhase::Failed));
  EXPECT_FALSE(IsAllowedTransition(GroupPhase::Succeeded, GroupPhase::Running));
  EXPECT_FALSE(IsAllowedTransition(GroupPhase::Failed, GroupPhase::Restarting));
  EXPECT_EQ(CheckTransition(GroupPhase::Succeeded, GroupPhase::Pending).cls(),
            StatusClass::kInternal);
}

TEST(Lifecycle, UpdatingIsEnteredFromPendingOrRunningAndLeftLikeRestarting) {
  EXPECT_TRUE(IsAllowedTransition(GroupPhase::Pending, GroupPhase::Updating));
  EXPECT_TRUE(IsAllowedTransition(GroupPhase::Running, GroupPhase::Updating));
  EXPECT_TRUE(IsAllowedTransition(GroupPhase::Updating, GroupPhase::Running));
  EXPECT_TRUE(IsAllowedTransition(GroupPhase::Updating, GroupPhase::Pending));
  EXPECT_TRUE(IsAllowedTransition(GroupPhase::Updating, GroupPhase::Succeeded));
  EXPECT_FALSE(IsAllowedTransition(GroupPhase::Succeeded, GroupPhase::Updating));
  EXPECT_FALSE(IsAllowedTransition(GroupPhase::Restarting, GroupPhase::Updating));
}

TEST(Lifecycle, RestartPolicies) {
  EXPECT_TRUE(ShouldRestart(RestartPolicy::Always, 0));
  EXPECT_TRUE(ShouldRestart(RestartPolicy::OnFailure, 3));
  EXPECT_FALSE(ShouldRestart(RestartPolicy::OnFailure, 0));
  EXPECT_FALSE(ShouldRestart(RestartPolicy::Never, 1));
}

TEST(Lifecycle, BackoffDoublesAndCaps) {
  EXPECT_EQ(RestartBackoff(0, milliseconds(10), milliseconds(300)), milliseconds(10));
  EXPECT_EQ(RestartBackoff(3, milliseconds(10), milliseconds(300)), milliseconds(80));
  EXPECT_EQ(RestartBackoff(40, milliseconds(10), milliseconds(300)), milliseconds(300));
}

ContainerView Exited(int code) { return {true, false, true, code}; }
ContainerView Running() { return {true, true, false, 0}; }
ContainerView NotStarted() { return {false, false, false, 0}; }

TEST(Lifecycle, DerivePhaseFollowsPodSemantics) {
  EXPECT_EQ(DerivePhase(RestartPolicy::Never, {Exited(3)}), GroupPhase::Failed);
  EXPECT_EQ(DerivePhase(RestartPolicy::OnFailure, {Exited(0)}), GroupPhase::Succeeded);
  EXPECT_EQ(DerivePhase(RestartPolicy::OnFailure, {Exited(1)}), GroupPhase::Running);
  EXPECT_EQ(DerivePhase(RestartPolicy::Always, {Exited(0)}), GroupPhase::Running);
  EXPECT_EQ(DerivePhase(RestartPolicy::Never, {Exited(0), Running()}), GroupPhase::Running);
  EXPECT_EQ(DerivePhase(RestartPolicy::Never, {Running(), NotStarted()}), GroupPhase::Pending);
  EXPECT_EQ(DerivePhase(RestartPolicy::Never, {Exited(0), Exited(2)}), GroupPhase::Failed);
  EXPECT_EQ(DerivePhase(RestartPolicy::Never, {}), GroupPhase::Pending);
}

}  // namespace
}  // namespace openeci::core
