// Profiles: where `eci` finds its endpoint and AccessKey, in the manner of the aliyun CLI.
//
// The config file (default ~/.openeci/config.json; --config or OPENECI_CONFIG choose another)
// is a JSON object:
//   {"current": "default",
//    "profiles": {"default": {"endpoint": "http://127.0.0.1:18080", "access_key_id": "...",
//                             "access_key_secret": "...", "region_id": "cn-hangzhou",
//                             "ca_file": "/path/ca.pem"}}}   (ca_file: optional, for https)
// A request's settings come from, strongest first: command-line flags, environment variables
// (OPENECI_ENDPOINT, ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET,
// ALIBABA_CLOUD_REGION_ID, OPENECI_CA_FILE), then the chosen profile (--profile, else
// OPENECI_PROFILE, else the file's "current", else "default").
//
// Free functions and value types; thread-compatible. Failures throw CliError (usage errors).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace openeci::cli {

inline constexpr char kDefaultProfile[] = "default";
inline constexpr char kDefaultRegion[] = "cn-hangzhou";

struct Profile {
  std::string endpoint;  // "http://host:port" or "https://host:port" once resolved
  std::string access_key_id;
  std::string access_key_secret;
  std::string region_id;
  // https: PEM file of the CA(s) to trust for the server's certificate; empty = the system's
  // trust store.
  std::string ca_file;
};

struct ConfigFile {
  std::string current;  // the profile used when none is named; may be empty
  std::map<std::string, Profile> profiles;
};

// Settings given on the command line; an empty string means "not given".
struct ProfileFlags {
  std::string profile;
  std::string endpoint;
  std::string access_key_id;
  std::string access_key_secret;
  std::string region_id;
  std::string ca_file;
};

// Reads an environment variable; nullopt when unset. Injected so tests need no real env.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnv();

// --config, else OPENECI_CONFIG, else $HOME/.openeci/config.json.
std::string ConfigPath(const std::string& flag, const EnvLookup& env);

// The file's content; an empty ConfigFile when the file does not exist. A file that exists
// but is not valid JSON of the shape above is a usage error naming the path.
ConfigFile LoadConfig(const std::string& path);
// Writes `config` to `path` with mode 0600 (creating its directory 0700), replacing it
// atomically.
void SaveConfig(const std::string& path, const ConfigFile& config);

// "host:port" or "http[s]://host:port[/]" → "http[s]://host:port". Other schemes are refused.
std::string NormalizeEndpoint(const std::string& endpoint);

// The profile a request uses (see the file comment for the precedence). Throws a usage error
// for an unknown profile that was asked for by name, and when no endpoint or no AccessKey is
// known, each with a hint saying how to set it. The region defaults to cn-hangzhou.
Profile ResolveProfile(const ConfigFile& config, const ProfileFlags& flags, const EnvLookup& env);

}  // namespace openeci::cli
