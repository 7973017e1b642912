#include "runtime/cri/net_dev.h"

#include <array>
#include <charconv>
#include <cstdint>

namespace openeci::runtime {
namespace {

constexpr std::string_view kSpace = " \t";

std::string_view Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) {
    return {};
  }
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

// The sixteen counters after "name:"; false when there are fewer or one is not a number.
bool ParseCounters(std::string_view s, std::array<uint64_t, 16>& out) {
  for (uint64_t& value : out) {
    s = Trim(s);
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || (end != s.data() + s.size() && *end != ' ' && *end != '\t')) {
      return false;
    }
    s.remove_prefix(end - s.data());
  }
  return true;
}

}  // namespace

std::vector<InterfaceStats> ParseNetDev(std::string_view text) {
  std::vector<InterfaceStats> out;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    // "  eth0: 1234 ..." (large counters may touch the colon: "eth0:12345678 ...").
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    const std::string_view name = Trim(line.substr(0, colon));
    std::array<uint64_t, 16> c;
    if (name.empty() || name == "lo" || !ParseCounters(line.substr(colon + 1), c)) {
      continue;
    }
    // Receive: bytes packets errs drop fifo frame compressed multicast; then Transmit: bytes
    // packets errs drop fifo colls carrier compressed.
    InterfaceStats i;
    i.name = std::string(name);
    i.rx_bytes = c[0];
    i.rx_packets = c[1];
    i.rx_errors = c[2];
    i.rx_drops = c[3];
    i.tx_bytes = c[8];
    i.tx_packets = c[9];
    i.tx_errors = c[10];
    i.tx_drops = c[11];
    out.push_back(std::move(i));
  }
  return out;
}

}  // namespace openeci::runtime
