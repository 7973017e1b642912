#include "core/retention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

namespace openeci::core {
namespace {

constexpr Millis kHour = 3600 * 1000;

ContainerGroup Finished(const std::string& id, const std::string& account, GroupPhase phase,
                        Millis at) {
  ContainerGroup g;
  g.id = id;
  g.account_id = account;
  g.creation_time = at - 1000;
  g.status.phase = phase;
  if (phase == GroupPhase::Failed) g.status.failed_time = at;
  if (phase == GroupPhase::Succeeded) g.status.succeeded_time = at;
  return g;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(Retention, FailedGroupsAreKeptFor24Hours) {
  RetentionPolicy policy;
  Millis t0 = 1'700'000'000'000;
  std::vector<ContainerGroup> groups = {Finished("f1", "a", GroupPhase::Failed, t0),
                                        Finished("f2", "a", GroupPhase::Failed, t0 + kHour),
                                        Finished("r", "a", GroupPhase::Running, t0)};
  groups[2].status.phase = GroupPhase::Running;
  EXPECT_TRUE(ExpiredGroupIds(groups, t0 + 24 * kHour - 1, policy).empty());
  EXPECT_EQ(ExpiredGroupIds(groups, t0 + 24 * kHour, policy), std::vector<std::string>{"f1"});
  EXPECT_EQ(Sorted(ExpiredGroupIds(groups, t0 + 25 * kHour, policy)),
            (std::vector<std::string>{"f1", "f2"}));
}

TEST(Retention, NextExpiryTimeIsTheNextFailedRecordToGo) {
  RetentionPolicy policy;
  Millis t0 = 1'700'000'000'000;
  std::vector<ContainerGroup> groups = {Finished("f1", "a", GroupPhase::Failed, t0),
                                        Finished("f2", "a", GroupPhase::Failed, t0 + kHour),
                                        Finished("s", "a", GroupPhase::Succeeded, t0 - kHour)};
  EXPECT_EQ(NextExpiryTime(groups, t0, policy), t0 + 24 * kHour);
  // Nothing expires between now and then: the sweep may wait until it.
  EXPECT_TRUE(ExpiredGroupIds(groups, t0 + 24 * kHour - 1, policy).empty());
  EXPECT_EQ(NextExpiryTime(groups, t0 + 24 * kHour, policy), t0 + 25 * kHour);
  groups[1].deleting = true;
  EXPECT_EQ(NextExpiryTime(groups, t0 + 24 * kHour, policy), std::numeric_limits<Millis>::max());
}

TEST(Retention, TheLatestSucceededGroupsOfEachAccountAreKept) {
  RetentionPolicy policy;
  policy.succeeded_per_account = 2;
  Millis t0 = 1'700'000'000'000;
  std::vector<ContainerGroup> groups = {
      Finished("a1", "a", GroupPhase::Succeeded, t0 + 1),
      Finished("a3", "a", GroupPhase::Succeeded, t0 + 3),
      Finished("a2", "a", GroupPhase::Succeeded, t0 + 2),
      Finished("a0", "a", GroupPhase::Succeeded, t0),
      Finished("b1", "b", GroupPhase::Succeeded, t0),
      Finished("b2", "b", GroupPhase::Succeeded, t0 + 5)};
  // Years later, the latest two of each account are still there.
  EXPECT_EQ(Sorted(ExpiredGroupIds(groups, t0 + 1000 * 24 * kHour, policy)),
            (std::vector<std::string>{"a0", "a1"}));
  policy.succeeded_per_account = 0;
  EXPECT_EQ(ExpiredGroupIds(groups, t0, policy).size(), groups.size());
}

TEST(Retention, GroupsBeingDeletedAreLeftToDeletion) {
  RetentionPolicy policy;
  policy.failed_retention_ms = 0;
  ContainerGroup g = Finished("f", "a", GroupPhase::Failed, 1000);
  g.deleting = true;
  EXPECT_TRUE(ExpiredGroupIds({g}, 5000, policy).empty());
}

}  // namespace
}  // namespace openeci::core
