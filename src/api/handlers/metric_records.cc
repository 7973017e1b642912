#include "api/handlers/metric_records.h"

#include <cmath>

#include "api/render.h"

namespace openeci::api {
namespace {

namespace json = boost::json;

constexpr double kLimitUnitsPerCpu = 1024;

json::object RenderCpu(const runtime::CpuStats& cpu, double allotted_cpus) {
  int64_t load = 0;
  if (allotted_cpus > 0) {
    load = std::llround(100.0 * static_cast<double>(cpu.usage_nano_cores) /
                        (allotted_cpus * 1e9));
  }
  return json::object{{"Limit", std::llround(allotted_cpus * kLimitUnitsPerCpu)},
                      {"Load", load},
                      {"UsageCoreNanoSeconds", cpu.usage_core_nanoseconds},
                      {"UsageNanoCores", cpu.usage_nano_cores}};
}

json::object RenderMemory(const runtime::MemoryStats& m) {
  return json::object{{"AvailableBytes", m.available_bytes},
                      {"Cache", m.cache_bytes},
                      {"Rss", m.rss_bytes},
                      {"UsageBytes", m.usage_bytes},
                      {"WorkingSet", m.working_set_bytes}};
}

}  // namespace

json::object RenderMetricRecord(const metrics::Sample& sample, const core::ContainerGroup& group) {
  const double group_cpus = group.spec.cpu;
  json::array containers;
  for (const auto& c : sample.containers) {
    double cpus = group_cpus;
    for (const auto& spec : group.spec.containers) {
      if (spec.name == c.name && spec.cpu > 0) cpus = spec.cpu;
    }
    containers.push_back(json::object{
        {"Name", c.name}, {"CPU", RenderCpu(c.cpu, cpus)}, {"Memory", RenderMemory(c.memory)}});
  }
  json::array interfaces;
  for (const auto& i : sample.interfaces) {
    interfaces.push_back(json::object{{"Name", i.name},
                                      {"RxBytes", i.rx_bytes},
                                      {"RxDrops", i.rx_drops},
                                      {"RxErrors", i.rx_errors},
                                      {"RxPackets", i.rx_packets},
                                      {"TxBytes", i.tx_bytes},
                                      {"TxDrops", i.tx_drops},
                                      {"TxErrors", i.tx_errors},
                                      {"TxPackets", i.tx_packets}});
  }
  json::object r;
  r["Timestamp"] = ApiTime(ToUnixMillis(sample.time));
  r["CPU"] = RenderCpu(sample.cpu, group_cpus);
  r["Memory"] = RenderMemory(sample.memory);
  r["Network"] = json::object{{"Interfaces", std::move(interfaces)}};
  r["Containers"] = std::move(containers);
  r["Disk"] = json::array();
  r["Filesystem"] = json::array();
  return r;
}

}  // namespace openeci::api
