// eci exec [-i] [-t] GROUP [CONTAINER] -- CMD [ARG...]: ExecContainerCommand, then the
// WebSocket session it returns (exec_session.h). eci exits with the remote command's code.
#include <boost/json.hpp>
#include <iostream>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/exec_session.h"
#include "cli/output.h"

namespace openeci::cli {
namespace {

namespace json = boost::json;

struct ExecOptions {
  std::string group;
  std::string container;
  bool interactive = false;
  bool tty = false;
};

void RunExec(Context& ctx, const ExecOptions& o) {
  if (ctx.trailing.empty()) {
    throw UsageError("no command to run", "eci exec [-i] [-t] GROUP [CONTAINER] -- CMD [ARG...]");
  }
  json::object group = FindGroup(ctx, o.group);
  const std::string id = Str(group, "ContainerGroupId");
  const std::string container = PickContainer(group, o.container);
  json::array command;
  for (const std::string& word : ctx.trailing) command.emplace_back(word);
  json::object answer = ctx.Client().Call("ExecContainerCommand",
                                          {{"ContainerGroupId", id},
                                           {"ContainerName", container},
                                           {"Command", json::serialize(command)},
                                           {"TTY", o.tty ? "true" : "false"},
                                           {"Stdin", o.interactive ? "true" : "false"}});
  const std::string uri = Str(answer, "WebSocketUri");
  if (uri.empty()) {
    throw CliError(ExitCode::kConnectionError, "", "ExecContainerCommand answered no WebSocketUri");
  }
  ctx.exit_code = RunExecSession(uri, {o.tty, o.interactive, ctx.Client().profile().ca_file});
}

}  // namespace

void AddExecCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ExecOptions>();
  CLI::App* cmd = app.add_subcommand(
      "exec", "Run a command in a running container: eci exec [-i] [-t] GROUP [CONTAINER] -- CMD");
  cmd->add_option("GROUP", o->group, "Group ID or name")->required();
  cmd->add_option("CONTAINER", o->container, "Container (default: the group's only one)");
  cmd->add_flag("-i,--stdin", o->interactive, "Send stdin to the command");
  cmd->add_flag("-t,--tty", o->tty, "Give the command a terminal (raw local terminal, resizes)");
  cmd->callback([&ctx, o] { RunExec(ctx, *o); });
}

}  // namespace openeci::cli
