// The helpers the group commands share: finding a group by ID or name, listing through pages,
// choosing a container, and waiting for a group to run.
#include <boost/json.hpp>
#include <iostream>
#include <set>
#include <thread>

#include <unistd.h>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace openeci::cli {
namespace {

namespace json = boost::json;

constexpr auto kWaitPollInterval = std::chrono::milliseconds(500);

CliError GroupNotFound(const std::string& ref) {
  return CliError(ExitCode::kApiError, "InvalidParameter.NotFound",
                  "the container group \"" + ref + "\" is not found", "",
                  "list your groups with `eci ps`");
}

// Waiting reasons that mean the group will not get to Running by itself.
bool IsFatalWaitingReason(const std::string& reason) {
  static const std::set<std::string> kFatal = {
      "ErrImagePull",       "ImagePullBackOff",          "ErrImageNeverPull",
      "InvalidImageName",   "CreateContainerError",      "CreateContainerConfigError",
      "RunContainerError",  "CrashLoopBackOff"};
  return kFatal.count(reason) > 0;
}

// "container app: ImagePullBackOff: <message>" for the first container stuck for good, or "".
std::string FatalContainerState(const json::object& group) {
  for (const json::value& c : Arr(group, "Containers")) {
    const json::value* state = c.as_object().if_contains("CurrentState");
    if (state == nullptr) continue;
    const std::string reason = Str(*state, "Reason");
    if (Str(*state, "State") == "Waiting" && IsFatalWaitingReason(reason)) {
      return "container " + Str(c, "Name") + ": " + reason + ": " + Str(*state, "Message");
    }
  }
  return "";
}

// What makes an event new to a watcher: a grown Count prints it again.
std::string EventKey(const json::value& e) {
  return Str(e, "Reason") + "\x1f" + Str(e, "Message") + "\x1f" + Str(e, "FirstTimestamp") +
         "\x1f" + std::to_string(static_cast<int64_t>(Num(e, "Count")));
}

// "  Type<TAB>Reason<TAB>Message (xN)".
std::string EventLine(const json::value& e) {
  const auto count = static_cast<int64_t>(Num(e, "Count"));
  return "  " + Str(e, "Type") + "\t" + Str(e, "Reason") + "\t" + Str(e, "Message") +
         (count > 1 ? " (x" + std::to_string(count) + ")" : "");
}

// The output of a wait, on stderr. On a terminal the PullProgress events rewrite one line
// (the next other line keeps the last of them); elsewhere each is a plain line. Not
// thread-safe.
class WaitPrinter {
 public:
  WaitPrinter() : tty_(isatty(STDERR_FILENO) != 0) {}
  void Events(const json::array& events) {
    for (const json::value& e : events) {
      if (!seen_.insert(EventKey(e)).second) continue;
      if (tty_ && Str(e, "Reason") == "PullProgress") {
        std::cerr << "\r\x1b[K" << EventLine(e) << std::flush;
        open_ = true;
      } else {
        Line(EventLine(e));
      }
    }
  }
  // One whole line.
  void Line(const std::string& text) {
    if (open_) std::cerr << "\n";
    open_ = false;
    std::cerr << text << std::endl;
  }

 private:
  const bool tty_;
  bool open_ = false;  // a progress line waits for its newline
  std::set<std::string> seen_;
};

}  // namespace

json::array ListAllPages(Context& ctx, const std::string& action, const std::string& items_key,
                         std::map<std::string, std::string> filters) {
  json::array all;
  filters["Limit"] = "20";
  filters.erase("NextToken");
  while (true) {
    json::object page = ctx.Client().Call(action, filters);
    for (const json::value& item : Arr(page, items_key.c_str())) all.push_back(item);
    const std::string token = Str(page, "NextToken");
    if (token.empty()) return all;
    filters["NextToken"] = token;
  }
}

json::array ListGroups(Context& ctx, std::map<std::string, std::string> filters) {
  return ListAllPages(ctx, "DescribeContainerGroups", "ContainerGroups", std::move(filters));
}

void RemoveEach(Context& ctx, const std::vector<std::string>& refs, const RemoveOne& remove) {
  for (const std::string& ref : refs) {
    try {
      auto [id, answer] = remove(ref);
      if (ctx.JsonOutput()) {
        PrintJson(std::cout, answer);
      } else {
        std::cout << id << "\n";
      }
    } catch (const CliError& e) {
      if (e.exit_code() != ExitCode::kApiError) throw;
      std::cerr << e.Render() << std::endl;
      ctx.exit_code = static_cast<int>(ExitCode::kApiError);
    }
  }
}

void PrintNewEvents(const json::array& events, std::set<std::string>& seen) {
  for (const json::value& e : events) {
    if (seen.insert(EventKey(e)).second) std::cerr << EventLine(e) << std::endl;
  }
}

json::object FindGroup(Context& ctx, const std::string& ref) {
  if (ref.rfind("eci-", 0) == 0) {
    json::object page = ctx.Client().Call(
        "DescribeContainerGroups",
        {{"ContainerGroupIds", json::serialize(json::array{json::string(ref)})}});
    for (const json::value& g : Arr(page, "ContainerGroups")) {
      if (Str(g, "ContainerGroupId") == ref) return g.as_object();
    }
    // Not an ID after all: names may start with "eci-" too.
  }
  json::array named = ListGroups(ctx, {{"ContainerGroupName", ref}});
  if (named.empty()) throw GroupNotFound(ref);
  if (named.size() > 1) {
    std::string ids;
    for (const json::value& g : named) ids += " " + Str(g, "ContainerGroupId");
    throw UsageError(std::to_string(named.size()) + " container groups are named \"" + ref + "\":" +
                         ids,
                     "name the one you mean by its ID");
  }
  return named[0].as_object();
}

std::string PickContainer(const json::object& group, const std::string& name) {
  std::vector<std::string> names;
  for (const json::value& c : Arr(group, "Containers")) names.push_back(Str(c, "Name"));
  if (name.empty() && names.size() == 1) return names[0];
  for (const std::string& n : names) {
    if (n == name) return n;
  }
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  const std::string id = Str(group, "ContainerGroupId");
  if (name.empty()) {
    throw UsageError("the group " + id + " has several containers (" + list + ")",
                     "name one after the group");
  }
  throw UsageError("the group " + id + " has no container \"" + name + "\" (it has " + list + ")");
}

int WaitForRunning(Context& ctx, const std::string& group_id, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_status;
  WaitPrinter out;
  while (true) {
    json::object group = FindGroup(ctx, group_id);
    out.Events(Arr(group, "Events"));
    const std::string status = Str(group, "Status");
    if (status != last_status) {
      out.Line("Status: " + status);
      last_status = status;
    }
    if (status == "Running") {
      out.Line(group_id + " is Running (IP " + Str(group, "IntranetIp") + ")");
      return 0;
    }
    if (status == "Succeeded") {
      out.Line(group_id + " ran to completion before it could be seen Running");
      return 0;
    }
    if (status == "Failed" || status == "Expired") {
      out.Line("Error: " + group_id + " is " + status);
      return static_cast<int>(ExitCode::kApiError);
    }
    if (std::string fatal = FatalContainerState(group); !fatal.empty()) {
      out.Line("Error: " + group_id + " cannot start: " + fatal);
      return static_cast<int>(ExitCode::kApiError);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      out.Line("Error: " + group_id + " is still " + status + " after " +
               std::to_string(timeout.count()) + "s");
      return static_cast<int>(ExitCode::kApiError);
    }
    std::this_thread::sleep_for(kWaitPollInterval);
  }
}

}  // namespace openeci::cli
