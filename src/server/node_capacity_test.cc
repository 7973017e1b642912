#include "server/node_capacity.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace openeci::server {
namespace {

namespace fs = std::filesystem;

class NodeCapacityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "node_capacity_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    Write("proc/meminfo", "MemTotal:       25165824 kB\nMemFree:        1000 kB\n");
    Write("proc/self/cgroup", "4:memory:/pods\n1:cpu,cpuacct:/pods\n0::/\n");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(dir_ + "/" + path).parent_path());
    std::ofstream(dir_ + "/" + path) << text;
  }
  MachineResources Detect() { return DetectMachine(dir_ + "/proc", dir_ + "/cgroup"); }

  std::string dir_;
};

TEST_F(NodeCapacityTest, MemTotalWithoutCgroupLimits) {
  Write("cgroup/memory/pods/memory.limit_in_bytes", "9223372036854771712\n");
  Write("cgroup/cpu/pods/cpu.cfs_quota_us", "-1\n");
  Write("cgroup/cpu/pods/cpu.cfs_period_us", "100000\n");
  MachineResources m = Detect();
  EXPECT_DOUBLE_EQ(m.memory_gib, 24);
  EXPECT_GE(m.cpu, 1);
}

TEST_F(NodeCapacityTest, CgroupLimitsCapTheMachine) {
  Write("cgroup/memory/pods/memory.limit_in_bytes", std::to_string(2LL << 30) + "\n");
  Write("cgroup/cpu/pods/cpu.cfs_quota_us", "50000\n");
  Write("cgroup/cpu/pods/cpu.cfs_period_us", "100000\n");
  MachineResources m = Detect();
  EXPECT_DOUBLE_EQ(m.memory_gib, 2);
  EXPECT_DOUBLE_EQ(m.cpu, 0.5);
}

TEST(NodeCapacity, ReservedThenOvercommitAndConfiguredOverrides) {
  ServerConfig config;
  config.reserved_cpu = 1;
  config.reserved_memory_gib = 2;
  config.cpu_overcommit = 4;
  config.memory_overcommit = 1.5;
  core::NodeCapacity c = NodeCapacityFor(config, {3, 10});
  EXPECT_DOUBLE_EQ(c.cpu, 8);
  EXPECT_DOUBLE_EQ(c.memory_gib, 12);
  EXPECT_EQ(c.gpus, 0);
  config.capacity_cpu = 2;
  config.capacity_memory_gib = 1;
  c = NodeCapacityFor(config, {3, 10});
  EXPECT_DOUBLE_EQ(c.cpu, 4);
  EXPECT_DOUBLE_EQ(c.memory_gib, 0);  // never negative
}

}  // namespace
}  // namespace openeci::server
