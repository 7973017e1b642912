#include "core/admission.h"

#include <gtest/gtest.h>

namespace openeci::core {
namespace {

ContainerGroup Group(const std::string& account, double cpu, double memory, GroupPhase phase) {
  ContainerGroup g;
  g.account_id = account;
  g.spec.cpu = cpu;
  g.spec.memory_gib = memory;
  g.status.phase = phase;
  return g;
}

TEST(Admission, LiveUseCountsOnlyGroupsHoldingResources) {
  std::vector<ContainerGroup> groups = {
      Group("a", 1, 2, GroupPhase::Running),   Group("a", 2, 4, GroupPhase::Pending),
      Group("b", 0.5, 1, GroupPhase::Restarting), Group("a", 4, 8, GroupPhase::Succeeded),
      Group("a", 4, 8, GroupPhase::Failed)};
  groups.push_back(Group("a", 8, 16, GroupPhase::Running));
  groups.back().deleting = true;
  ResourceUse use = LiveUse(groups, "a");
  EXPECT_DOUBLE_EQ(use.cpu, 3.5);
  EXPECT_DOUBLE_EQ(use.memory_gib, 7);
  EXPECT_EQ(use.groups, 2);
}

TEST(Admission, CapacityRefusesWhatDoesNotFitWithNoStock) {
  NodeCapacity capacity{4, 8, 0};
  ContainerGroupSpec spec;
  spec.cpu = 2;
  spec.memory_gib = 4;
  EXPECT_TRUE(CheckCapacity(spec, {2, 4, 1}, capacity).ok());  // exactly full
  Status cpu = CheckCapacity(spec, {2.5, 1, 1}, capacity);
  EXPECT_EQ(cpu.api_code(), "OperationDenied.NoStock");
  EXPECT_EQ(cpu.cls(), StatusClass::kResourceExhausted);
  EXPECT_NE(cpu.message().find("1.5 vCPUs"), std::string::npos) << cpu.message();
  EXPECT_EQ(CheckCapacity(spec, {0, 4.5, 1}, capacity).api_code(), "OperationDenied.NoStock");
  spec.cpu = 8;
  spec.memory_gib = 8;
  EXPECT_EQ(CheckCapacity(spec, {}, capacity).api_code(), "OperationDenied.NoStock");
}

TEST(Admission, GpusOnANodeWithoutGpusAreRefusedNamingTheParameter) {
  ContainerGroupSpec spec;
  spec.containers.resize(2);
  spec.init_containers.resize(1);
  NodeCapacity capacity;
  EXPECT_TRUE(CheckGpus(spec, capacity).ok());
  spec.containers[1].gpu = 1;
  Status st = CheckGpus(spec, capacity);
  EXPECT_EQ(st.api_code(), "OperationDenied.NoStock");
  EXPECT_NE(st.message().find("\"Container.2.Gpu\""), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("this OpenECI node has no GPUs"), std::string::npos);
  spec.init_containers[0].gpu = 2;
  EXPECT_NE(CheckGpus(spec, capacity).message().find("InitContainer.1.Gpu"), std::string::npos);
}

TEST(Admission, QuotaCountsLiveGroupsOfTheAccount) {
  EXPECT_TRUE(CheckQuota(2, 3).ok());
  Status st = CheckQuota(3, 3);
  EXPECT_EQ(st.api_code(), "QuotaExceeded");
  EXPECT_EQ(st.cls(), StatusClass::kResourceExhausted);
  EXPECT_EQ(st.message().rfind("ContainerGroup quota exceeded.", 0), 0u) << st.message();
  EXPECT_TRUE(CheckQuota(1000, 0).ok());  // 0: no limit
}

}  // namespace
}  // namespace openeci::core
