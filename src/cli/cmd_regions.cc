// eci regions: the regions and zones the endpoint serves (DescribeRegions).
#include <boost/json.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"

namespace openeci::cli {
namespace {

namespace json = boost::json;

void RunRegions(Context& ctx) {
  json::object answer = ctx.Client().Call("DescribeRegions", {});
  if (ctx.JsonOutput()) {
    PrintJson(std::cout, answer);
    return;
  }
  std::vector<Row> rows;
  for (const json::value& r : Arr(answer, "Regions")) {
    std::string zones;
    for (const json::value& z : Arr(r, "Zones")) {
      if (z.is_string()) zones += (zones.empty() ? "" : ",") + std::string(z.as_string());
    }
    rows.push_back({Str(r, "RegionId"), Str(r, "RegionEndpoint"), zones});
  }
  PrintTable(std::cout, {"REGION", "ENDPOINT", "ZONES"}, rows);
}

}  // namespace

void AddRegionsCommand(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand("regions", "The regions and zones the endpoint serves");
  cmd->callback([&ctx] { RunRegions(ctx); });
}

}  // namespace openeci::cli
