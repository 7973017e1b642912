// eci run (one container from flags) and eci create -f (a template file), with --wait.
// The new group's ID goes to stdout; --wait's progress (status changes, events) to stderr.
#include <boost/json.hpp>
#include <iostream>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/template_file.h"

namespace openeci::cli {
namespace {

namespace json = boost::json;

struct RunOptions {
  std::string name;
  std::string image;
  std::string container_name;
  std::vector<std::string> env;
  std::vector<std::string> ports;
  std::vector<std::string> tags;
  double cpu = 0;
  double memory = 0;
  std::string restart = "Always";
  std::string pull_policy;
  std::string zone;
  std::string vswitch;
  std::string security_group;
  bool wait = false;
  std::string timeout = "5m";
};

struct CreateOptions {
  std::string file;
  bool wait = false;
  std::string timeout = "5m";
};

std::string Number(double v) {
  std::string s = json::serialize(json::value(v));
  return s;
}

std::chrono::seconds WaitTimeout(const std::string& text) {
  auto d = ParseDuration(text);
  if (!d) throw UsageError("--timeout " + text + " is not a duration such as 90s, 5m or 1h");
  return *d;
}

void AddEnv(std::map<std::string, std::string>& p, const std::string& prefix,
            const std::vector<std::string>& env) {
  for (size_t i = 0; i < env.size(); ++i) {
    const size_t eq = env[i].find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("-e " + env[i] + " is not KEY=VALUE");
    }
    const std::string k = prefix + ".EnvironmentVar." + std::to_string(i + 1);
    p[k + ".Key"] = env[i].substr(0, eq);
    p[k + ".Value"] = env[i].substr(eq + 1);
  }
}

void AddPorts(std::map<std::string, std::string>& p, const std::string& prefix,
              const std::vector<std::string>& ports) {
  for (size_t i = 0; i < ports.size(); ++i) {
    const size_t slash = ports[i].find('/');
    const std::string number = ports[i].substr(0, slash);
    std::string proto = slash == std::string::npos ? "TCP" : ports[i].substr(slash + 1);
    for (char& ch : proto) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos ||
        (proto != "TCP" && proto != "UDP")) {
      throw UsageError("-p " + ports[i] + " is not PORT[/TCP|UDP]");
    }
    const std::string k = prefix + ".Port." + std::to_string(i + 1);
    p[k + ".Port"] = number;
    p[k + ".Protocol"] = proto;
  }
}

std::map<std::string, std::string> CreateParams(const RunOptions& o,
                                                const std::vector<std::string>& command) {
  std::map<std::string, std::string> p;
  p["ContainerGroupName"] = o.name;
  p["RestartPolicy"] = o.restart;
  if (!o.zone.empty()) p["ZoneId"] = o.zone;
  if (!o.vswitch.empty()) p["VSwitchId"] = o.vswitch;
  if (!o.security_group.empty()) p["SecurityGroupId"] = o.security_group;
  for (size_t i = 0; i < o.tags.size(); ++i) {
    const size_t eq = o.tags[i].find('=');
    p["Tag." + std::to_string(i + 1) + ".Key"] = o.tags[i].substr(0, eq);
    if (eq != std::string::npos) {
      p["Tag." + std::to_string(i + 1) + ".Value"] = o.tags[i].substr(eq + 1);
    }
  }
  const std::string c = "Container.1";
  p[c + ".Name"] = o.container_name.empty() ? (o.name.size() <= 63 ? o.name : "main")
                                            : o.container_name;
  p[c + ".Image"] = o.image;
  if (!o.pull_policy.empty()) p[c + ".ImagePullPolicy"] = o.pull_policy;
  if (o.cpu > 0) p[c + ".Cpu"] = Number(o.cpu);
  if (o.memory > 0) p[c + ".Memory"] = Number(o.memory);
  for (size_t i = 0; i < command.size(); ++i) {
    p[c + ".Command." + std::to_string(i + 1)] = command[i];
  }
  AddEnv(p, c, o.env);
  AddPorts(p, c, o.ports);
  return p;
}

// Prints the new group's ID (or the raw answer) and waits when asked.
void Created(Context& ctx, const json::object& answer, bool wait, const std::string& timeout) {
  const std::string id = Str(answer, "ContainerGroupId");
  if (ctx.JsonOutput()) {
    PrintJson(std::cout, answer);
  } else {
    std::cout << id << std::endl;
  }
  if (wait) ctx.exit_code = WaitForRunning(ctx, id, WaitTimeout(timeout));
}

void RunRun(Context& ctx, const RunOptions& o) {
  WaitTimeout(o.timeout);  // refuse a bad --timeout before creating anything
  json::object answer =
      ctx.Client().Call("CreateContainerGroup", CreateParams(o, ctx.trailing));
  Created(ctx, answer, o.wait, o.timeout);
}

void RunCreate(Context& ctx, const CreateOptions& o) {
  WaitTimeout(o.timeout);
  const std::string template_json = ReadTemplateFile(o.file);
  json::object answer =
      ctx.Client().Call("CreateContainerGroupFromTemplate", {{"Template", template_json}});
  Created(ctx, answer, o.wait, o.timeout);
}

}  // namespace

void AddRunCommands(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Create a group of one container: eci run --name N --image I [flags] [-- CMD ARG...]"
             " (CMD replaces the image's entrypoint)");
  cmd->add_option("--name", o->name, "ContainerGroupName")->required();
  cmd->add_option("--image", o->image, "Container image")->required();
  cmd->add_option("--container-name", o->container_name, "Container name (default: --name)");
  cmd->add_option("-e,--env", o->env, "Environment variable KEY=VALUE (repeatable)");
  cmd->add_option("-p,--port", o->ports, "Port PORT[/TCP|UDP] (repeatable)");
  cmd->add_option("--tag", o->tags, "Tag KEY=VALUE (repeatable)");
  cmd->add_option("--cpu", o->cpu, "vCPUs of the container");
  cmd->add_option("--memory", o->memory, "Memory of the container in GiB");
  cmd->add_option("--restart", o->restart, "Restart policy: Always (default), OnFailure, Never")
      ->check(CLI::IsMember({"Always", "OnFailure", "Never"}));
  cmd->add_option("--pull-policy", o->pull_policy, "Image pull policy: Always, IfNotPresent, Never")
      ->check(CLI::IsMember({"Always", "IfNotPresent", "Never"}));
  cmd->add_option("--zone", o->zone, "ZoneId");
  cmd->add_option("--vswitch", o->vswitch, "VSwitchId");
  cmd->add_option("--security-group", o->security_group, "SecurityGroupId");
  cmd->add_flag("--wait", o->wait, "Show status changes and events until Running or failure");
  cmd->add_option("--timeout", o->timeout, "How long --wait waits (default 5m)");
  cmd->callback([&ctx, o] { RunRun(ctx, *o); });

  auto c = std::make_shared<CreateOptions>();
  cmd = app.add_subcommand(
      "create", "Create a group from a template file (JSON or YAML, the format of "
                "CreateContainerGroupFromTemplate)");
  cmd->add_option("-f,--file", c->file, "Template file (- for stdin)")->required();
  cmd->add_flag("--wait", c->wait, "Show status changes and events until Running or failure");
  cmd->add_option("--timeout", c->timeout, "How long --wait waits (default 5m)");
  cmd->callback([&ctx, c] { RunCreate(ctx, *c); });
}

}  // namespace openeci::cli
