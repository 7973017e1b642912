// eci logs [-f] [--since D] [--tail N] [--timestamps] [--previous] GROUP [CONTAINER]
//
// One DescribeContainerLog call, or with -f a poll every second that prints only lines not
// printed yet. Following asks for timestamped lines (Timestamps=true; the fixed-width
// nanosecond timestamps sort as text) and resumes from the newest one printed: StartTime is
// that second, and the lines of that same timestamp already printed are skipped. It ends once
// the container is seen terminated (after printing what it wrote last) or on Ctrl-C.
#include <boost/json.hpp>
#include <iostream>
#include <thread>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace openeci::cli {
namespace {

namespace json = boost::json;

constexpr auto kFollowInterval = std::chrono::seconds(1);
constexpr char kFollowTail[] = "2000";

struct LogsOptions {
  std::string group;
  std::string container;
  bool follow = false;
  std::string since;
  int64_t tail = 0;
  bool timestamps = false;
  bool previous = false;
};

// Where a follow stands: the newest timestamp printed and how many lines carried it.
struct Cursor {
  std::string time;
  size_t at_time = 0;
};

std::vector<std::string> SplitLines(const std::string& content) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < content.size()) {
    size_t nl = content.find('\n', start);
    if (nl == std::string::npos) nl = content.size();
    lines.push_back(content.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// Prints the lines after `cursor` and advances it. Each line is "<timestamp> <message>".
void PrintNew(const std::string& content, Cursor& cursor, bool with_timestamps) {
  size_t skip_at_time = cursor.at_time;
  for (const std::string& line : SplitLines(content)) {
    const size_t space = line.find(' ');
    const std::string time = line.substr(0, space);
    if (time < cursor.time) continue;
    if (time == cursor.time && skip_at_time > 0) {
      --skip_at_time;
      continue;
    }
    std::cout << (with_timestamps || space == std::string::npos ? line : line.substr(space + 1))
              << "\n";
    if (time == cursor.time) {
      ++cursor.at_time;
    } else {
      cursor.time = time;
      cursor.at_time = 1;
      skip_at_time = 0;
    }
  }
  std::cout.flush();
}

std::map<std::string, std::string> BaseParams(const std::string& id, const std::string& container,
                                              const LogsOptions& o) {
  std::map<std::string, std::string> p = {{"ContainerGroupId", id}, {"ContainerName", container}};
  if (o.tail > 0) p["Tail"] = std::to_string(o.tail);
  if (!o.since.empty()) {
    auto d = ParseDuration(o.since);
    if (!d) throw UsageError("--since " + o.since + " is not a duration such as 10s, 5m or 1h");
    p["SinceSeconds"] = std::to_string(d->count());
  }
  if (o.previous) p["LastTime"] = "true";
  if (o.timestamps || o.follow) p["Timestamps"] = "true";
  return p;
}

bool ContainerTerminated(Context& ctx, const std::string& id, const std::string& container) {
  json::object group = FindGroup(ctx, id);
  for (const json::value& c : Arr(group, "Containers")) {
    if (Str(c, "Name") != container) continue;
    const json::value* state = c.as_object().if_contains("CurrentState");
    return state != nullptr && Str(*state, "State") == "Terminated";
  }
  return true;
}

void Follow(Context& ctx, const std::string& id, const std::string& container,
            const LogsOptions& o) {
  Cursor cursor;
  json::object answer = ctx.Client().Call("DescribeContainerLog", BaseParams(id, container, o));
  PrintNew(Str(answer, "Content"), cursor, o.timestamps);
  while (true) {
    std::this_thread::sleep_for(kFollowInterval);
    const bool ended = ContainerTerminated(ctx, id, container);
    std::map<std::string, std::string> p = {{"ContainerGroupId", id},
                                            {"ContainerName", container},
                                            {"Timestamps", "true"},
                                            {"Tail", kFollowTail}};
    if (!cursor.time.empty()) p["StartTime"] = cursor.time.substr(0, 19) + "Z";
    answer = ctx.Client().Call("DescribeContainerLog", p);
    PrintNew(Str(answer, "Content"), cursor, o.timestamps);
    if (ended) return;
  }
}

void RunLogs(Context& ctx, const LogsOptions& o) {
  json::object group = FindGroup(ctx, o.group);
  const std::string id = Str(group, "ContainerGroupId");
  const std::string container = PickContainer(group, o.container);
  if (o.follow) {
    Follow(ctx, id, container, o);
    return;
  }
  json::object answer = ctx.Client().Call("DescribeContainerLog", BaseParams(id, container, o));
  if (ctx.JsonOutput()) {
    PrintJson(std::cout, answer);
    return;
  }
  const std::string content = Str(answer, "Content");
  std::cout << content << (content.empty() ? "" : "\n");
}

}  // namespace

void AddLogsCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<LogsOptions>();
  CLI::App* cmd = app.add_subcommand("logs", "Print a container's log");
  cmd->add_option("GROUP", o->group, "Group ID or name")->required();
  cmd->add_option("CONTAINER", o->container, "Container (default: the group's only one)");
  cmd->add_flag("-f,--follow", o->follow, "Keep printing new lines until the container ends");
  cmd->add_option("--since", o->since, "Only lines of the last DURATION (10s, 5m, 1h)");
  cmd->add_option("--tail", o->tail, "Only the last N lines (1-2000; default 500)");
  cmd->add_flag("--timestamps", o->timestamps, "Prefix each line with its RFC 3339 time");
  cmd->add_flag("--previous", o->previous, "The log of the previous (terminated) attempt");
  cmd->callback([&ctx, o] { RunLogs(ctx, *o); });
}

}  // namespace openeci::cli
