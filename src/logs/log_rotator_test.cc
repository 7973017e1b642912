#include "logs/log_rotator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "controller/fake_runtime.h"

namespace openeci::logs {
namespace {

class LogRotatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/openeci-rotator-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    runtime_.AddImage("busybox");
    runtime::SandboxConfig sb;
    sb.name = "g";
    sb.uid = "eci-test";
    sb.log_directory = dir_;
    StatusOr<std::string> sandbox = runtime_.RunSandbox(sb);
    ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
    sandbox_ = *sandbox;
    sandbox_config_ = sb;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A container of the sandbox whose log file holds `bytes` bytes.
  std::string AddContainer(const std::string& name, size_t bytes, bool start) {
    runtime::ContainerConfig cc;
    cc.name = name;
    cc.image = "busybox";
    cc.log_path = name + ".log";
    StatusOr<std::string> id = runtime_.CreateContainer(sandbox_, cc, sandbox_config_);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (start) {
      EXPECT_TRUE(runtime_.StartContainer(*id).ok());
    }
    std::ofstream(dir_ + "/" + name + ".log") << std::string(bytes, 'x');
    return *id;
  }

  FakeClock clock_{TimePoint(std::chrono::seconds(1'700'000'000))};
  controller::FakeRuntime runtime_{clock_};
  std::string dir_;
  std::string sandbox_;
  runtime::SandboxConfig sandbox_config_;
};

TEST_F(LogRotatorTest, RotatesOnlyRunningContainersOverTheLimit) {
  AddContainer("big", 200, true);
  AddContainer("small", 50, true);
  AddContainer("stopped", 500, false);
  std::ofstream(dir_ + "/big.log.1") << "previous rotation";
  LogRotator rotator(runtime_, LogRotatorOptions{100, std::chrono::milliseconds(10)});
  StatusOr<int> rotated = rotator.RotateOnce();
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_EQ(*rotated, 1);
  EXPECT_EQ(runtime_.calls().reopen_log, 1);  // the runtime writes a fresh big.log from now on
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/big.log"));
  EXPECT_EQ(std::filesystem::file_size(dir_ + "/big.log.1"), 200u);  // the old .1 replaced
  EXPECT_EQ(std::filesystem::file_size(dir_ + "/small.log"), 50u);
  EXPECT_EQ(std::filesystem::file_size(dir_ + "/stopped.log"), 500u);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/small.log.1"));
  // Nothing left over the limit: the next pass rotates nothing.
  EXPECT_EQ(*rotator.RotateOnce(), 0);
  EXPECT_EQ(runtime_.calls().reopen_log, 1);
}

TEST_F(LogRotatorTest, StartStopIsIdempotent) {
  LogRotator rotator(runtime_, LogRotatorOptions{100, std::chrono::milliseconds(1)});
  rotator.Start();
  rotator.Start();
  rotator.Stop();
  rotator.Stop();
}

}  // namespace
}  // namespace openeci::logs
