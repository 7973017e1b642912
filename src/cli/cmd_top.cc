// eci top: CPU and memory of every Running group (DescribeMultiContainerGroupMetric, 20 groups
// per call), refreshed every --interval until Ctrl-C; --once prints one snapshot.
#include <boost/json.hpp>
#include <cmath>
#include <iostream>
#include <thread>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace openeci::cli {
namespace {

namespace json = boost::json;

constexpr size_t kIdsPerCall = 20;

struct TopOptions {
  bool once = false;
  std::string interval = "2s";
};

// ContainerGroupId → its latest record (absent when no sample exists yet).
json::array Metrics(Context& ctx, const json::array& groups) {
  json::array datas;
  for (size_t start = 0; start < groups.size(); start += kIdsPerCall) {
    json::array ids;
    for (size_t i = start; i < groups.size() && i < start + kIdsPerCall; ++i) {
      ids.emplace_back(Str(groups[i], "ContainerGroupId"));
    }
    json::object answer = ctx.Client().Call("DescribeMultiContainerGroupMetric",
                                            {{"ContainerGroupIds", json::serialize(ids)}});
    for (const json::value& d : Arr(answer, "MonitorDatas")) datas.push_back(d);
  }
  return datas;
}

std::string Millicores(double nano_cores) {
  return std::to_string(static_cast<int64_t>(std::llround(nano_cores / 1e6))) + "m";
}

void PrintSnapshot(const json::array& groups, const json::array& datas) {
  std::map<std::string, const json::value*> latest;
  for (const json::value& d : datas) {
    const json::array& records = Arr(d, "Records");
    if (!records.empty()) latest[Str(d, "ContainerGroupId")] = &records.back();
  }
  std::vector<Row> rows;
  for (const json::value& g : groups) {
    const std::string id = Str(g, "ContainerGroupId");
    auto it = latest.find(id);
    if (it == latest.end()) {
      rows.push_back({id, Str(g, "ContainerGroupName"), "-", "-", "-", "-"});
      continue;
    }
    const json::value* cpu = it->second->as_object().if_contains("CPU");
    const json::value* memory = it->second->as_object().if_contains("Memory");
    rows.push_back({id, Str(g, "ContainerGroupName"),
                    cpu ? Millicores(Num(*cpu, "UsageNanoCores")) : "-",
                    cpu ? std::to_string(static_cast<int64_t>(Num(*cpu, "Load"))) + "%" : "-",
                    memory ? FormatBytes(Num(*memory, "WorkingSet")) : "-",
                    Str(*it->second, "Timestamp")});
  }
  PrintTable(std::cout, {"ID", "NAME", "CPU", "CPU%", "MEMORY", "SAMPLED"}, rows);
}

void RunTop(Context& ctx, const TopOptions& o) {
  auto interval = ParseDuration(o.interval);
  if (!interval) throw UsageError("--interval " + o.interval + " is not a duration such as 2s");
  while (true) {
    json::array groups = ListGroups(ctx, {{"Status", "Running"}});
    json::array datas = Metrics(ctx, groups);
    if (ctx.JsonOutput()) {
      PrintJson(std::cout, json::object{{"MonitorDatas", datas}});
    } else {
      if (!o.once) std::cout << "\033[H\033[2J";  // home, clear screen
      PrintSnapshot(groups, datas);
    }
    std::cout.flush();
    if (o.once) return;
    std::this_thread::sleep_for(*interval);
  }
}

}  // namespace

void AddTopCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<TopOptions>();
  CLI::App* cmd = app.add_subcommand("top", "Live CPU and memory of the Running groups");
  cmd->add_flag("--once", o->once, "Print one snapshot and exit");
  cmd->add_option("--interval", o->interval, "Refresh interval (default 2s)");
  cmd->callback([&ctx, o] { RunTop(ctx, *o); });
}

}  // namespace openeci::cli
