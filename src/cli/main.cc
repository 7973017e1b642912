// eci: the command-line client of OpenECI. A pure client of the API (signed requests to the
// endpoint of a profile), never a door into the server's state. See `eci --help` and the
// README's "Command-line client" section.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "cli/cli_error.h"
#include "cli/commands.h"

namespace openeci::cli {
namespace {

constexpr char kFooter[] = R"(
Settings come from flags, then environment variables (OPENECI_ENDPOINT,
ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_REGION_ID,
OPENECI_PROFILE, OPENECI_CONFIG), then the profile in the config file
(default ~/.openeci/config.json, written by `eci configure`).

Exit codes:
  0  success
  1  the API answered an error, or the group/image cache waited for failed
  2  usage error (bad flags, unknown profile, no endpoint, unreadable file)
  3  connection error (endpoint unreachable or not OpenECI)
  exec exits with the remote command's exit code.)";

void AddGlobalOptions(CLI::App& app, GlobalOptions& o) {
  app.add_option("--config", o.config_path, "Config file (default ~/.openeci/config.json)");
  app.add_option("--profile", o.flags.profile, "Profile of the config file to use");
  app.add_option("--endpoint", o.flags.endpoint, "API endpoint, e.g. http://127.0.0.1:18080");
  app.add_option("--access-key-id", o.flags.access_key_id, "AccessKey ID");
  app.add_option("--access-key-secret", o.flags.access_key_secret, "AccessKey secret");
  app.add_option("--region", o.flags.region_id, "Region ID (default cn-hangzhou)");
  app.add_option("--ca-file", o.flags.ca_file,
                 "https: PEM CA file to trust for the server (default: the system's)");
  app.add_option("-o,--output", o.output, "Output format: table (default) or json (raw API JSON)")
      ->check(CLI::IsMember({"table", "json"}));
}

// Splits argv at the first "--": CLI11 sees what is before it, the command gets the rest.
std::vector<std::string> SplitArgs(int argc, char** argv, Context& ctx) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    if (!ctx.has_trailing && std::string(argv[i]) == "--") {
      ctx.has_trailing = true;
      continue;
    }
    (ctx.has_trailing ? ctx.trailing : args).push_back(argv[i]);
  }
  return args;
}

int Main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  Context ctx;
  CLI::App app("eci: the command-line client of OpenECI (Alibaba Cloud ECI API 2018-08-08)",
               "eci");
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();
  AddGlobalOptions(app, ctx.options);
  AddConfigureCommand(app, ctx);
  AddRunCommands(app, ctx);
  AddGroupCommands(app, ctx);
  AddLogsCommand(app, ctx);
  AddExecCommand(app, ctx);
  AddImageCacheCommands(app, ctx);
  AddTopCommand(app, ctx);
  AddRegionsCommand(app, ctx);

  std::vector<std::string> args = SplitArgs(argc, argv, ctx);
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector in reverse order
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::kUsageError);
  } catch (const CliError& e) {
    std::cout.flush();
    std::cerr << e.Render() << std::endl;
    return static_cast<int>(e.exit_code());
  }
  std::cout.flush();
  return ctx.exit_code;
}

}  // namespace
}  // namespace openeci::cli

int main(int argc, char** argv) { return openeci::cli::Main(argc, argv); }
