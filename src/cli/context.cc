#include "cli/cli_error.h"
#include "cli/commands.h"

namespace openeci::cli {

std::string CliError::Render() const {
  std::string out = "Error: ";
  if (!code_.empty()) out += code_ + ": ";
  out += message_;
  if (!request_id_.empty()) out += " (RequestId " + request_id_ + ")";
  if (!hint_.empty()) out += "\nHint: " + hint_;
  return out;
}

std::string Context::ConfigFilePath() const {
  return ConfigPath(options.config_path, ProcessEnv());
}

ApiClient& Context::Client() {
  if (!client_) {
    const EnvLookup env = ProcessEnv();
    ConfigFile config = LoadConfig(ConfigPath(options.config_path, env));
    client_ = std::make_unique<ApiClient>(ResolveProfile(config, options.flags, env));
  }
  return *client_;
}

}  // namespace openeci::cli
