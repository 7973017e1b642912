#include "ops/process_stats.h"

#include <gtest/gtest.h>

#include <thread>

namespace openeci::ops {
namespace {

TEST(ProcessStatsTest, ParsesStatusFields) {
  std::string status = "Name:\topeneci\nVmSize:\t  204800 kB\nVmRSS:\t    1024 kB\nThreads:\t12\n";
  EXPECT_EQ(StatusField(status, "VmRSS"), 1024.0 * 1024);
  EXPECT_EQ(StatusField(status, "VmSize"), 204800.0 * 1024);
  EXPECT_EQ(StatusField(status, "Threads"), 12.0);
  EXPECT_EQ(StatusField(status, "VmSwap"), std::nullopt);
}

TEST(ProcessStatsTest, ParsesTheSoftOpenFilesLimit) {
  std::string limits =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max open files            1024                 524288               files     \n";
  EXPECT_EQ(MaxOpenFiles(limits), 1024.0);
  EXPECT_EQ(MaxOpenFiles("Max open files unlimited unlimited files\n"), 0.0);
  EXPECT_EQ(MaxOpenFiles(""), std::nullopt);
}

TEST(ProcessStatsTest, ParsesStatEvenWithSpacesAndParensInTheName) {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
  // stime cutime cstime priority nice threads itrealvalue starttime ...
  std::string stat =
      "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 "
      "123456 1000 200 18446744073709551615\n";
  std::optional<StatTimes> t = ParseStat(stat);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->cpu_ticks, 300u);
  EXPECT_EQ(t->start_ticks, 123456u);
  EXPECT_EQ(ParseStat("garbage"), std::nullopt);
}

TEST(ProcessStatsTest, ParsesBootTime) {
  EXPECT_EQ(BootTime("cpu  1 2 3\nbtime 1764300000\nprocesses 5\n"), 1764300000.0);
  EXPECT_EQ(BootTime("cpu 1\n"), std::nullopt);
}

TEST(ProcessStatsTest, ReadsThisProcess) {
  std::thread extra([] { std::this_thread::sleep_for(std::chrono::milliseconds(200)); });
  ProcessStats s = ReadProcessStats();
  extra.join();
  EXPECT_GT(s.resident_bytes, 1 << 20);
  EXPECT_GE(s.virtual_bytes, s.resident_bytes);
  EXPECT_GE(s.threads, 2);
  EXPECT_GE(s.open_fds, 3);  // stdin, stdout, stderr
  EXPECT_GT(s.start_time_seconds, 1.5e9);
  EXPECT_GE(s.cpu_seconds, 0);
}

}  // namespace
}  // namespace openeci::ops
