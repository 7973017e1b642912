// Parsing of Linux's /proc/<pid>/net/dev: per-interface packet and byte counters of the network
// namespace that process lives in. Pure functions; thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "runtime/runtime.h"

namespace openeci::runtime {

// The interfaces listed in `text` (the contents of a /proc/.../net/dev file), in file order,
// without the loopback interface "lo". The two header lines and lines that do not hold a name
// followed by sixteen counters are skipped.
std::vector<InterfaceStats> ParseNetDev(std::string_view text);

}  // namespace openeci::runtime
