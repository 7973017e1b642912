#include "runtime/cri/net_dev.h"

#include <gtest/gtest.h>

namespace openeci::runtime {
namespace {

// As a pod's network namespace shows it (Linux 5.x), with a counter touching the colon.
constexpr std::string_view kPodNetDev =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo:     336       4    0    0    0     0          0         0      336       4    0    "
    "0    0     0       0          0\n"
    "  eth0:12345678901   98765    1    2    0     0          0         3   654321     4321    "
    "5    6    0     0       0          0\n"
    "  net1:       0       0    0    0    0     0          0         0        0       0    0    "
    "0    0     0       0          0\n";

TEST(ParseNetDevTest, ReadsAllEightCountersAndSkipsLoopback) {
  const std::vector<InterfaceStats> all = ParseNetDev(kPodNetDev);
  ASSERT_EQ(all.size(), 2u);
  const InterfaceStats& eth0 = all[0];
  EXPECT_EQ(eth0.name, "eth0");
  EXPECT_EQ(eth0.rx_bytes, 12345678901u);
  EXPECT_EQ(eth0.rx_packets, 98765u);
  EXPECT_EQ(eth0.rx_errors, 1u);
  EXPECT_EQ(eth0.rx_drops, 2u);
  EXPECT_EQ(eth0.tx_bytes, 654321u);
  EXPECT_EQ(eth0.tx_packets, 4321u);
  EXPECT_EQ(eth0.tx_errors, 5u);
  EXPECT_EQ(eth0.tx_drops, 6u);
  EXPECT_EQ(all[1].name, "net1");
  EXPECT_EQ(all[1].rx_packets + all[1].tx_packets, 0u);
}

TEST(ParseNetDevTest, SkipsMalformedLinesAndToleratesNoTrailingNewline) {
  const std::vector<InterfaceStats> all = ParseNetDev(
      "garbage\n"
      "short: 1 2 3\n"
      "bad: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n"
      ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
      "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "eth0");
  EXPECT_EQ(all[0].rx_packets, 2u);
  EXPECT_EQ(all[0].tx_drops, 12u);
}

TEST(ParseNetDevTest, EmptyInputHasNoInterfaces) {
  EXPECT_TRUE(ParseNetDev("").empty());
  EXPECT_TRUE(ParseNetDev("    lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n").empty());
}

}  // namespace
}  // namespace openeci::runtime
