#include "server/node_capacity.h"

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace openeci::server {
namespace {

constexpr double kGib = 1024.0 * 1024 * 1024;

std::optional<std::string> ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

// This process's cgroup path for `controller` (v1), or the unified path ("" key) for v2.
std::string OwnCgroup(const std::string& proc_root, const std::string& controller) {
  std::ifstream in(proc_root + "/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::stringstream list(line.substr(a + 1, b - a - 1));
    for (std::string c; std::getline(list, c, ',');) {
      if (c == controller) return line.substr(b + 1);
    }
    if (controller.empty() && a + 1 == b) return line.substr(b + 1);
  }
  return "";
}

double CpusOnline() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return 1;
}

// The CPU quota of this process's cgroup in CPUs (v1 cfs_quota/period, v2 cpu.max), if any.
std::optional<double> CgroupCpuLimit(const std::string& proc_root, const std::string& root) {
  std::string v1 = root + "/cpu" + OwnCgroup(proc_root, "cpu");
  auto quota = ReadFirstLine(v1 + "/cpu.cfs_quota_us");
  auto period = ReadFirstLine(v1 + "/cpu.cfs_period_us");
  if (quota && period) {
    double q = std::atof(quota->c_str()), p = std::atof(period->c_str());
    if (q > 0 && p > 0) return q / p;
    return std::nullopt;
  }
  if (auto max = ReadFirstLine(root + OwnCgroup(proc_root, "") + "/cpu.max")) {
    std::stringstream in(*max);
    std::string q, p;
    in >> q >> p;
    if (q != "max" && !p.empty() && std::atof(p.c_str()) > 0) {
      return std::atof(q.c_str()) / std::atof(p.c_str());
    }
  }
  return std::nullopt;
}

std::optional<double> CgroupMemoryLimitGib(const std::string& proc_root, const std::string& root) {
  std::optional<std::string> limit =
      ReadFirstLine(root + "/memory" + OwnCgroup(proc_root, "memory") + "/memory.limit_in_bytes");
  if (!limit) limit = ReadFirstLine(root + OwnCgroup(proc_root, "") + "/memory.max");
  if (!limit || *limit == "max") return std::nullopt;
  double bytes = std::atof(limit->c_str());
  // v1 reports "no limit" as a huge page-aligned number.
  if (bytes <= 0 || bytes >= 9.0e18) return std::nullopt;
  return bytes / kGib;
}

double MemTotalGib(const std::string& proc_root) {
  std::ifstream in(proc_root + "/meminfo");
  for (std::string key; in >> key;) {
    double kib = 0;
    in >> kib;
    if (key == "MemTotal:") return kib * 1024 / kGib;
    in.ignore(256, '\n');
  }
  return 0;
}

}  // namespace

MachineResources DetectMachine(const std::string& proc_root, const std::string& cgroup_root) {
  MachineResources m;
  m.cpu = CpusOnline();
  if (auto limit = CgroupCpuLimit(proc_root, cgroup_root)) m.cpu = std::min(m.cpu, *limit);
  m.memory_gib = MemTotalGib(proc_root);
  if (auto limit = CgroupMemoryLimitGib(proc_root, cgroup_root)) {
    m.memory_gib = m.memory_gib > 0 ? std::min(m.memory_gib, *limit) : *limit;
  }
  return m;
}

core::NodeCapacity NodeCapacityFor(const ServerConfig& config, const MachineResources& machine) {
  double cpu = config.capacity_cpu > 0 ? config.capacity_cpu : machine.cpu;
  double memory = config.capacity_memory_gib > 0 ? config.capacity_memory_gib : machine.memory_gib;
  core::NodeCapacity capacity;
  capacity.cpu = std::max(0.0, cpu - config.reserved_cpu) * config.cpu_overcommit;
  capacity.memory_gib = std::max(0.0, memory - config.reserved_memory_gib) *
                        config.memory_overcommit;
  capacity.gpus = 0;
  return capacity;
}

}  // namespace openeci::server
