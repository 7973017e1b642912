// The `eci` subcommands. Each Add*Command registers its subcommand(s) on the CLI11 app with a
// callback that runs the command; failures throw CliError (see cli_error.h), and commands whose
// exit code is not simply 0 (exec, run --wait, image-cache create) set Context::exit_code.
//
// Context is what every command shares: the global options and the ApiClient built from them on
// first use. Not thread-safe (one command runs, on the main thread).
#pragma once

#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/profile.h"

namespace openeci::cli {

struct GlobalOptions {
  std::string config_path;  // --config
  ProfileFlags flags;       // --profile, --endpoint, --access-key-id, ...
  std::string output = "table";
};

class Context {
 public:
  GlobalOptions options;
  // The words after the first "--" on the command line (run's command, exec's command).
  std::vector<std::string> trailing;
  bool has_trailing = false;
  int exit_code = 0;

  // The client for the resolved profile; resolves (and may throw) on first use.
  ApiClient& Client();
  bool JsonOutput() const { return options.output == "json"; }
  // The config file path in use.
  std::string ConfigFilePath() const;

 private:
  std::unique_ptr<ApiClient> client_;
};

void AddConfigureCommand(CLI::App& app, Context& ctx);
void AddRunCommands(CLI::App& app, Context& ctx);     // run, create
void AddGroupCommands(CLI::App& app, Context& ctx);   // ps, describe, rm, restart
void AddLogsCommand(CLI::App& app, Context& ctx);
void AddExecCommand(CLI::App& app, Context& ctx);
void AddImageCacheCommands(CLI::App& app, Context& ctx);
void AddTopCommand(CLI::App& app, Context& ctx);
void AddRegionsCommand(CLI::App& app, Context& ctx);

// ---- helpers shared by the commands (groups.cc) ----

// The group named by `ref`: an ID ("eci-...") or a ContainerGroupName that matches exactly one
// group. Throws an API error (InvalidParameter.NotFound style) when there is none.
boost::json::object FindGroup(Context& ctx, const std::string& ref);
// Every item of a paged Describe action (`items_key`: "ContainerGroups", "ImageCaches") matching
// `filters`, through all NextToken pages.
boost::json::array ListAllPages(Context& ctx, const std::string& action,
                                const std::string& items_key,
                                std::map<std::string, std::string> filters);
// Every group matching the DescribeContainerGroups `filters`, through all pages.
boost::json::array ListGroups(Context& ctx, std::map<std::string, std::string> filters);
// Runs `remove` (which resolves one reference, deletes it and returns its ID and the API's
// answer) for each of `refs`, printing the ID (or the answer with -o json). An API error is
// printed and the next one is tried; Context::exit_code becomes 1 if any failed.
using RemoveOne =
    std::function<std::pair<std::string, boost::json::object>(const std::string& ref)>;
void RemoveEach(Context& ctx, const std::vector<std::string>& refs, const RemoveOne& remove);
// Prints, on stderr, the events not printed yet ("  Type<TAB>Reason<TAB>Message"; an event
// whose Count grew is printed again with "(xN)"). `seen` remembers what was printed.
void PrintNewEvents(const boost::json::array& events, std::set<std::string>& seen);
// The container of `group` named `name`, or the only one when `name` is empty. Throws a usage
// error listing the names otherwise.
std::string PickContainer(const boost::json::object& group, const std::string& name);

// Polls the group until it is Running (0), has failed (1) or `timeout` passed (1), printing each
// status change and each new event (PullProgress events rewrite one line when stderr is a
// terminal). Used by `run --wait` and `create --wait`.
int WaitForRunning(Context& ctx, const std::string& group_id, std::chrono::seconds timeout);

}  // namespace openeci::cli
