// eci configure: writes a profile of the config file (mode 0600) from the global flags
// (--profile, --endpoint, --access-key-id, --access-key-secret, --region, --ca-file); values not
// given keep what the profile had. The configured profile becomes the current one. Without any
// value flag it shows the profile (secret masked).
#include <iostream>

#include "cli/cli_error.h"
#include "cli/commands.h"

namespace openeci::cli {
namespace {

void Assign(std::string& field, const std::string& value) {
  if (!value.empty()) field = value;
}

std::string Masked(const std::string& secret) {
  if (secret.empty()) return "(none)";
  return secret.size() <= 4 ? "****" : "****" + secret.substr(secret.size() - 4);
}

void Show(const std::string& path, const std::string& name, const Profile& p) {
  std::cout << "config:            " << path << "\n"
            << "profile:           " << name << "\n"
            << "endpoint:          " << p.endpoint << "\n"
            << "access_key_id:     " << p.access_key_id << "\n"
            << "access_key_secret: " << Masked(p.access_key_secret) << "\n"
            << "region_id:         " << p.region_id << "\n";
  if (!p.ca_file.empty()) std::cout << "ca_file:           " << p.ca_file << "\n";
}

void RunConfigure(Context& ctx) {
  const ProfileFlags& f = ctx.options.flags;
  const std::string path = ctx.ConfigFilePath();
  ConfigFile config = LoadConfig(path);
  std::string name = f.profile;
  if (name.empty()) name = ProcessEnv()("OPENECI_PROFILE").value_or("");
  if (name.empty()) name = config.current.empty() ? kDefaultProfile : config.current;

  const bool changes = !f.endpoint.empty() || !f.access_key_id.empty() ||
                       !f.access_key_secret.empty() || !f.region_id.empty() ||
                       !f.ca_file.empty();
  if (!changes) {
    auto it = config.profiles.find(name);
    if (it == config.profiles.end()) {
      throw UsageError("no profile \"" + name + "\" in " + path,
                       "eci configure [--profile NAME] --endpoint http://HOST:PORT "
                       "--access-key-id ID --access-key-secret SECRET [--region REGION]");
    }
    Show(path, name, it->second);
    return;
  }
  Profile& p = config.profiles[name];
  if (!f.endpoint.empty()) p.endpoint = NormalizeEndpoint(f.endpoint);
  Assign(p.access_key_id, f.access_key_id);
  Assign(p.access_key_secret, f.access_key_secret);
  Assign(p.region_id, f.region_id);
  Assign(p.ca_file, f.ca_file);
  if (p.region_id.empty()) p.region_id = kDefaultRegion;
  config.current = name;
  SaveConfig(path, config);
  std::cout << "Saved profile \"" << name << "\" to " << path << "\n";
}

}  // namespace

void AddConfigureCommand(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand(
      "configure", "Write a profile: eci configure [--profile P] --endpoint URL "
                   "--access-key-id ID --access-key-secret SECRET [--region R]");
  cmd->callback([&ctx] { RunConfigure(ctx); });
}

}  // namespace openeci::cli
