#include "logs/log_reader.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace openeci::logs {
namespace {

// A temporary directory holding fixture log files, removed at the end of the test.
class LogReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/openeci-logs-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/app/0.log";
    std::filesystem::create_directories(dir_ + "/app");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  std::string Read(const LogReadOptions& options = {}) {
    StatusOr<std::string> content = ReadContainerLog(path_, options);
    EXPECT_TRUE(content.ok()) << content.status().ToString();
    return content.ok() ? *content : "";
  }
  // "2026-01-01T00:00:SSZ stream F message\n"
  static std::string Line(int second, const std::string& stream, const std::string& tag,
                          const std::string& message) {
    char ts[64];
    std::snprintf(ts, sizeof ts, "2026-01-01T00:00:%02d.123456789Z", second);
    return std::string(ts) + " " + stream + " " + tag + " " + message + "\n";
  }

  std::string dir_;
  std::string path_;
};

TEST_F(LogReaderTest, MissingFileIsEmpty) { EXPECT_EQ(Read(), ""); }

TEST_F(LogReaderTest, BothStreamsInFileOrderWithoutTimestamps) {
  Write(path_, Line(1, "stdout", "F", "one") + Line(2, "stderr", "F", "two") +
                   Line(3, "stdout", "F", "three"));
  EXPECT_EQ(Read(), "one\ntwo\nthree");
}

TEST_F(LogReaderTest, TimestampsPrefixEveryLineWithNineFractionalDigits) {
  Write(path_, "2026-01-01T00:00:01.5Z stdout F one\n" + Line(2, "stderr", "F", "two"));
  LogReadOptions options;
  options.timestamps = true;
  EXPECT_EQ(Read(options),
            "2026-01-01T00:00:01.500000000Z one\n2026-01-01T00:00:02.123456789Z two");
}

TEST_F(LogReaderTest, JoinsPartialLinesPerStream) {
  Write(path_, Line(1, "stdout", "P", "hel") + Line(1, "stderr", "F", "err") +
                   Line(1, "stdout", "P", "lo ") + Line(2, "stdout", "F", "world") +
                   Line(3, "stdout", "F", ""));
  EXPECT_EQ(Read(), "err\nhello world\n");
}

TEST_F(LogReaderTest, UnfinishedFragmentIsKept) {
  Write(path_, Line(1, "stdout", "F", "a") + Line(2, "stdout", "P", "cut"));
  EXPECT_EQ(Read(), "a\ncut");
}

TEST_F(LogReaderTest, MalformedLinesAreSkipped) {
  Write(path_, "garbage\n\n" + Line(1, "stdout", "F", "good") + "not-a-time stdout F x\n" +
                   "2026-01-01T00:00:02Z stdlog F y\n" + "2026-01-01T00:00:02Z stdout\n" +
                   "2026-01-01T00:00:02Z stdout F\n" + Line(3, "stderr", "F", "also good") +
                   "2026-01-01T00:00:04Z stdout F half-written");
  EXPECT_EQ(Read(), "good\n\nalso good");
}

TEST_F(LogReaderTest, TailKeepsTheNewestLines) {
  std::string text;
  for (int i = 1; i <= 10; ++i) text += Line(i, "stdout", "F", "line" + std::to_string(i));
  Write(path_, text);
  LogReadOptions options;
  options.tail = 3;
  EXPECT_EQ(Read(options), "line8\nline9\nline10");
  options.tail = 100;
  EXPECT_EQ(Read(options).substr(0, 12), "line1\nline2\n");
}

TEST_F(LogReaderTest, SinceKeepsLinesAtOrAfterIt) {
  Write(path_, Line(1, "stdout", "F", "a") + Line(2, "stderr", "F", "b") +
                   Line(3, "stdout", "F", "c"));
  LogReadOptions options;
  options.since = *ParseRfc3339("2026-01-01T00:00:02Z");
  EXPECT_EQ(Read(options), "b\nc");
  // Fractional seconds of the log count: 00:00:02.123456789 is before 02.5.
  options.since = std::chrono::time_point_cast<TimePoint::duration>(
      *ParseRfc3339("2026-01-01T00:00:02Z") + std::chrono::milliseconds(500));
  EXPECT_EQ(Read(options), "c");
  options.since = *ParseRfc3339("2027-01-01T00:00:00Z");
  EXPECT_EQ(Read(options), "");
}

TEST_F(LogReaderTest, ReadsTheRotatedFileFirstWhenNeeded) {
  Write(path_ + ".1", Line(1, "stdout", "F", "old1") + Line(2, "stdout", "P", "spl"));
  Write(path_, Line(3, "stdout", "F", "it") + Line(4, "stderr", "F", "new"));
  EXPECT_EQ(Read(), "old1\nsplit\nnew");
  LogReadOptions options;
  options.tail = 1;
  EXPECT_EQ(Read(options), "new");
  options.tail = 2;
  EXPECT_EQ(Read(options), "split\nnew");
}

TEST_F(LogReaderTest, RotatedFileAloneAfterRenameBeforeReopen) {
  Write(path_ + ".1", Line(1, "stdout", "F", "only rotated"));
  EXPECT_EQ(Read(), "only rotated");
}

TEST_F(LogReaderTest, ByteCapKeepsNewestWholeLines) {
  Write(path_, Line(1, "stdout", "F", "aaaa") + Line(2, "stdout", "F", "bbbb") +
                   Line(3, "stdout", "F", "cccc"));
  LogReadOptions options;
  options.limit_bytes = 9;  // "bbbb\ncccc"
  EXPECT_EQ(Read(options), "bbbb\ncccc");
  options.limit_bytes = 8;
  EXPECT_EQ(Read(options), "cccc");
  options.limit_bytes = 2;  // a line longer than the cap alone: its newest bytes
  EXPECT_EQ(Read(options), "cc");
}

TEST_F(LogReaderTest, DefaultCapIsOneMebibyte) {
  std::string text;
  std::string big(1000, 'x');
  for (int i = 0; i < 2000; ++i) text += Line(i % 60, "stdout", "F", big);
  Write(path_, text);
  std::string content = Read();
  EXPECT_LE(content.size(), kMaxLogBytes);
  EXPECT_EQ(content.size(), 1047 * 1000 + 1046);  // 1047 whole lines
}

TEST(ParseCriLogTest, NeverCrashesOnArbitraryBytes) {
  std::string text;
  for (int i = 0; i < 4096; ++i) text += static_cast<char>((i * 7919) % 256);
  text += "\n2026-01-01T00:00:00Z stdout P \n2026-01-01T00:00:00Z stderr P:F x\n";
  std::vector<LogLine> lines = ParseCriLog(text);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().message, "x");
}

}  // namespace
}  // namespace openeci::logs
