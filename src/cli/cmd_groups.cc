// eci ps, describe, rm, restart: reading and managing container groups.
#include <boost/json.hpp>
#include <iostream>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace openeci::cli {
namespace {

namespace json = boost::json;

struct PsOptions {
  std::string status;
  std::string name;
  std::vector<std::string> tags;
};

int64_t Restarts(const json::value& group) {
  double sum = 0;
  for (const json::value& c : Arr(group, "Containers")) sum += Num(c, "RestartCount");
  return static_cast<int64_t>(sum);
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

void RunPs(Context& ctx, const PsOptions& o) {
  std::map<std::string, std::string> filters;
  if (!o.status.empty()) filters["Status"] = o.status;
  if (!o.name.empty()) filters["ContainerGroupName"] = o.name;
  for (size_t i = 0; i < o.tags.size(); ++i) {
    const size_t eq = o.tags[i].find('=');
    const std::string prefix = "Tag." + std::to_string(i + 1);
    filters[prefix + ".Key"] = o.tags[i].substr(0, eq);
    if (eq != std::string::npos) filters[prefix + ".Value"] = o.tags[i].substr(eq + 1);
  }
  json::array groups = ListGroups(ctx, filters);
  if (ctx.JsonOutput()) {
    const auto total = static_cast<int64_t>(groups.size());
    PrintJson(std::cout, json::object{{"TotalCount", total}, {"ContainerGroups", groups}});
    return;
  }
  const TimePoint now = std::chrono::system_clock::now();
  std::vector<Row> rows;
  for (const json::value& g : groups) {
    rows.push_back({Str(g, "ContainerGroupId"), Str(g, "ContainerGroupName"), Str(g, "Status"),
                    OrDash(Str(g, "IntranetIp")), FormatAge(Str(g, "CreationTime"), now),
                    std::to_string(Restarts(g))});
  }
  PrintTable(std::cout, {"ID", "NAME", "STATUS", "IP", "AGE", "RESTARTS"}, rows);
}

std::string Join(const json::array& items, const char* sep) {
  std::string out;
  for (const json::value& v : items) {
    out += (out.empty() ? "" : sep) + (v.is_string() ? std::string(v.as_string()) : "");
  }
  return out;
}

std::string DescribeState(const json::value& state, TimePoint now) {
  const std::string s = Str(state, "State");
  if (s.empty()) return "-";
  std::string out = s;
  const std::string reason = Str(state, "Reason");
  if (s == "Running") {
    out += " since " + Str(state, "StartTime") + " (" + FormatAge(Str(state, "StartTime"), now) +
           ")";
  } else if (s == "Terminated") {
    out += " (exit code " + std::to_string(static_cast<int64_t>(Num(state, "ExitCode"))) +
           (reason.empty() ? "" : ", " + reason) + ") at " + Str(state, "FinishTime");
  } else if (!reason.empty()) {
    out += " (" + reason + ")";
  }
  const std::string message = Str(state, "Message");
  if (!message.empty() && s != "Running") out += ": " + message;
  return out;
}

void PrintContainer(const json::value& c, TimePoint now) {
  std::cout << "  " << Str(c, "Name") << ":\n"
            << "    Image:      " << Str(c, "Image") << "\n";
  const std::string command = Join(Arr(c, "Commands"), " ");
  const std::string args = Join(Arr(c, "Args"), " ");
  if (!command.empty()) std::cout << "    Command:    " << command << "\n";
  if (!args.empty()) std::cout << "    Args:       " << args << "\n";
  std::cout << "    Cpu/Memory: " << Num(c, "Cpu") << " / " << Num(c, "Memory") << " GiB\n";
  const json::value* current = c.as_object().if_contains("CurrentState");
  const json::value* previous = c.as_object().if_contains("PreviousState");
  std::cout << "    State:      " << (current ? DescribeState(*current, now) : "-") << "\n";
  if (previous != nullptr && !Str(*previous, "State").empty()) {
    std::cout << "    Previous:   " << DescribeState(*previous, now) << "\n";
  }
  const json::value* ready = c.as_object().if_contains("Ready");
  std::cout << "    Ready:      " << (ready && ready->is_bool() && ready->as_bool() ? "true" : "false")
            << "\n"
            << "    Restarts:   " << static_cast<int64_t>(Num(c, "RestartCount")) << "\n";
  std::string ports;
  for (const json::value& p : Arr(c, "Ports")) {
    ports += (ports.empty() ? "" : ", ") + std::to_string(static_cast<int64_t>(Num(p, "Port"))) +
             "/" + Str(p, "Protocol");
  }
  if (!ports.empty()) std::cout << "    Ports:      " << ports << "\n";
  for (const json::value& e : Arr(c, "EnvironmentVars")) {
    std::cout << "    Env:        " << Str(e, "Key") << "=" << Str(e, "Value") << "\n";
  }
}

void PrintGroup(const json::object& g) {
  const TimePoint now = std::chrono::system_clock::now();
  std::string tags;
  for (const json::value& t : Arr(g, "Tags")) {
    tags += (tags.empty() ? "" : ", ") + Str(t, "Key") + "=" + Str(t, "Value");
  }
  std::cout << "ID:              " << Str(g, "ContainerGroupId") << "\n"
            << "Name:            " << Str(g, "ContainerGroupName") << "\n"
            << "Status:          " << Str(g, "Status") << "\n"
            << "IP:              " << OrDash(Str(g, "IntranetIp")) << "\n"
            << "Created:         " << Str(g, "CreationTime") << " ("
            << FormatAge(Str(g, "CreationTime"), now) << " ago)\n"
            << "Region/Zone:     " << Str(g, "RegionId") << " / " << Str(g, "ZoneId") << "\n"
            << "VSwitch:         " << Str(g, "VSwitchId") << "\n"
            << "SecurityGroup:   " << Str(g, "SecurityGroupId") << "\n"
            << "Cpu/Memory:      " << Num(g, "Cpu") << " / " << Num(g, "Memory") << " GiB\n"
            << "RestartPolicy:   " << Str(g, "RestartPolicy") << "\n"
            << "Tags:            " << OrDash(tags) << "\n"
            << "Containers:\n";
  for (const json::value& c : Arr(g, "Containers")) PrintContainer(c, now);
  std::cout << "Events:\n";
  std::vector<Row> rows;
  for (const json::value& e : Arr(g, "Events")) {
    rows.push_back({"  " + Str(e, "Type"), Str(e, "Reason"),
                    FormatAge(Str(e, "LastTimestamp"), now),
                    std::to_string(static_cast<int64_t>(Num(e, "Count"))), Str(e, "Message")});
  }
  PrintTable(std::cout, {"  TYPE", "REASON", "AGE", "COUNT", "MESSAGE"}, rows);
}

void RunDescribe(Context& ctx, const std::string& ref) {
  json::object group = FindGroup(ctx, ref);
  if (ctx.JsonOutput()) {
    PrintJson(std::cout, group);
  } else {
    PrintGroup(group);
  }
}

void RunRemove(Context& ctx, const std::vector<std::string>& refs) {
  RemoveEach(ctx, refs, [&ctx](const std::string& ref) {
    const std::string id = Str(FindGroup(ctx, ref), "ContainerGroupId");
    return std::make_pair(id,
                          ctx.Client().Call("DeleteContainerGroup", {{"ContainerGroupId", id}}));
  });
}

void RunRestart(Context& ctx, const std::string& ref) {
  const std::string id = Str(FindGroup(ctx, ref), "ContainerGroupId");
  json::object answer = ctx.Client().Call("RestartContainerGroup", {{"ContainerGroupId", id}});
  if (ctx.JsonOutput()) {
    PrintJson(std::cout, answer);
  } else {
    std::cout << id << "\n";
  }
}

}  // namespace

void AddGroupCommands(CLI::App& app, Context& ctx) {
  auto ps = std::make_shared<PsOptions>();
  CLI::App* cmd = app.add_subcommand("ps", "List container groups (all pages)");
  cmd->add_option("--status", ps->status, "Only groups in this status (Pending, Running, ...)");
  cmd->add_option("--name", ps->name, "Only groups with this ContainerGroupName");
  cmd->add_option("--tag", ps->tags, "Only groups with this tag (KEY=VALUE; repeatable)");
  cmd->callback([&ctx, ps] { RunPs(ctx, *ps); });

  auto ref = std::make_shared<std::string>();
  cmd = app.add_subcommand("describe", "Show a container group: containers, states, events");
  cmd->add_option("GROUP", *ref, "Group ID or name")->required();
  cmd->callback([&ctx, ref] { RunDescribe(ctx, *ref); });

  auto refs = std::make_shared<std::vector<std::string>>();
  cmd = app.add_subcommand("rm", "Delete container groups");
  cmd->add_option("GROUP", *refs, "Group IDs or names")->required();
  cmd->callback([&ctx, refs] { RunRemove(ctx, *refs); });

  auto restart = std::make_shared<std::string>();
  cmd = app.add_subcommand("restart", "Restart a container group (new sandbox, same spec)");
  cmd->add_option("GROUP", *restart, "Group ID or name")->required();
  cmd->callback([&ctx, restart] { RunRestart(ctx, *restart); });
}

}  // namespace openeci::cli
