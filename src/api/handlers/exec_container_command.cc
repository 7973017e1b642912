#include <string>
#include <vector>

#include "api/exec_sessions.h"
#include "api/handlers/handlers.h"
#include "core/lifecycle.h"
#include "runtime/runtime.h"

namespace openeci::api {
namespace {

constexpr size_t kMaxCommandItems = 20;
constexpr size_t kMaxCommandItemLength = 256;
constexpr int64_t kSyncTimeoutSeconds = 10;

Status CommandExceeded(const std::string& why) {
  return InvalidParameterCode("InvalidParameter.ValueExceeded",
                              "The specified parameter \"Command\" " + why + ".");
}

StatusOr<std::vector<std::string>> DecodeCommand(const Params& params) {
  ASSIGN_OR_RETURN(std::string raw, params.Required("Command"));
  ASSIGN_OR_RETURN(std::vector<std::string> command, params.JsonStringArray("Command"));
  if (command.empty()) {
    return MissingParameter("The input parameter \"Command\" that is mandatory for processing "
                            "this request is not supplied (an empty JSON array).");
  }
  if (command.size() > kMaxCommandItems) {
    return CommandExceeded("has " + std::to_string(command.size()) + " items; at most " +
                           std::to_string(kMaxCommandItems) + " are allowed");
  }
  for (size_t i = 0; i < command.size(); ++i) {
    if (command[i].size() > kMaxCommandItemLength) {
      return CommandExceeded("item " + std::to_string(i + 1) + " is longer than " +
                             std::to_string(kMaxCommandItemLength) + " characters");
    }
  }
  return command;
}

// The runtime ID of the running container `name` of the group.
StatusOr<std::string> RunningContainerId(runtime::Runtime& runtime, const std::string& group_id,
                                         const std::string& name) {
  ASSIGN_OR_RETURN(std::vector<runtime::ContainerInfo> containers, runtime.ListContainers(""));
  for (const auto& c : containers) {
    auto group = c.labels.find(runtime::kGroupIdLabel);
    auto cname = c.labels.find(runtime::kContainerNameLabel);
    if (group == c.labels.end() || cname == c.labels.end()) continue;
    if (group->second == group_id && cname->second == name &&
        c.state == runtime::ContainerState::kRunning) {
      return c.id;
    }
  }
  return IncorrectStatus("The container \"" + name + "\" of container group " + group_id +
                         " is not running.");
}

}  // namespace

ActionResult ExecContainerCommand(ApiEnv& env, const RequestContext& ctx, Params& params) {
  RETURN_IF_ERROR(CheckRegion(env.topology, params));
  ASSIGN_OR_RETURN(std::string group_id, params.Required("ContainerGroupId"));
  ASSIGN_OR_RETURN(std::string container_name, params.Required("ContainerName"));
  ASSIGN_OR_RETURN(std::vector<std::string> command, DecodeCommand(params));
  ASSIGN_OR_RETURN(std::optional<bool> tty, params.GetBool("TTY"));
  ASSIGN_OR_RETURN(std::optional<bool> stdin_open, params.GetBool("Stdin"));
  ASSIGN_OR_RETURN(std::optional<bool> sync, params.GetBool("Sync"));
  RETURN_IF_ERROR(RejectUnsupported(params));
  if (env.runtime == nullptr || env.exec_sessions == nullptr) {
    return UnavailableError("ExecContainerCommand is not available on this node.");
  }

  ASSIGN_OR_RETURN(core::ContainerGroup group, env.groups.Get(ctx.caller.account_id, group_id));
  if (group.status.phase != core::GroupPhase::Running) {
    return IncorrectStatus("The container group " + group_id + " is " +
                           core::PhaseName(group.status.phase) +
                           "; commands run only in a Running container group.");
  }
  bool known = false;
  for (const auto& c : group.spec.containers) known = known || c.name == container_name;
  if (!known) {
    return NotFoundError("InvalidParameter.NotFound",
                         "The specified ContainerName \"" + container_name +
                             "\" is not a container of " + group_id + ".");
  }
  ASSIGN_OR_RETURN(std::string container_id,
                   RunningContainerId(*env.runtime, group_id, container_name));

  boost::json::object out;
  if (sync.value_or(false)) {
    ASSIGN_OR_RETURN(runtime::ExecSyncResult result,
                     env.runtime->ExecSync(container_id, command, kSyncTimeoutSeconds));
    out["SyncResponse"] = result.stdout_data + result.stderr_data;
    out["WebSocketUri"] = "";
    out["HttpUrl"] = "";
    return out;
  }
  ExecSession session;
  session.account_id = ctx.caller.account_id;
  session.access_key_id = ctx.caller.id;
  session.group_id = group_id;
  session.container_name = container_name;
  session.container_id = container_id;
  session.command = std::move(command);
  session.tty = tty.value_or(false);
  session.stdin_open = stdin_open.value_or(true);
  ASSIGN_OR_RETURN(std::string token, env.exec_sessions->Issue(std::move(session)));
  const std::string path = env.public_endpoint + "/exec/" + token;
  out["WebSocketUri"] = (env.tls ? "wss://" : "ws://") + path;
  out["HttpUrl"] = (env.tls ? "https://" : "http://") + path;
  return out;
}

}  // namespace openeci::api
