#include "cli/profile.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli_error.h"

namespace openeci::cli {
namespace {

namespace json = boost::json;

std::string StringField(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

Profile ProfileFromJson(const json::object& o) {
  return Profile{StringField(o, "endpoint"), StringField(o, "access_key_id"),
                 StringField(o, "access_key_secret"), StringField(o, "region_id"),
                 StringField(o, "ca_file")};
}

json::object ProfileToJson(const Profile& p) {
  json::object o{{"endpoint", p.endpoint},
                 {"access_key_id", p.access_key_id},
                 {"access_key_secret", p.access_key_secret},
                 {"region_id", p.region_id}};
  if (!p.ca_file.empty()) o["ca_file"] = p.ca_file;
  return o;
}

// The first of: the flag, the environment variable, the profile's value.
std::string Pick(const std::string& flag, const EnvLookup& env, const char* env_name,
                 const std::string& from_profile) {
  if (!flag.empty()) return flag;
  if (auto v = env(env_name); v && !v->empty()) return *v;
  return from_profile;
}

std::string KnownProfiles(const ConfigFile& config) {
  std::string names;
  for (const auto& [name, profile] : config.profiles) names += (names.empty() ? "" : ", ") + name;
  return names.empty() ? "none" : names;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
  };
}

std::string ConfigPath(const std::string& flag, const EnvLookup& env) {
  if (!flag.empty()) return flag;
  if (auto v = env("OPENECI_CONFIG"); v && !v->empty()) return *v;
  std::string home = env("HOME").value_or("");
  if (home.empty()) {
    throw UsageError("cannot find the config file: HOME is not set",
                     "pass --config FILE or set OPENECI_CONFIG");
  }
  return home + "/.openeci/config.json";
}

ConfigFile LoadConfig(const std::string& path) {
  ConfigFile config;
  std::ifstream in(path);
  if (!in) return config;
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value doc = json::parse(text.str(), ec);
  if (ec || !doc.is_object()) {
    throw UsageError("the config file " + path + " is not a JSON object" +
                         (ec ? " (" + ec.message() + ")" : ""),
                     "fix it, or write a new one with `eci configure`");
  }
  config.current = StringField(doc.as_object(), "current");
  if (const json::value* profiles = doc.as_object().if_contains("profiles")) {
    if (!profiles->is_object()) {
      throw UsageError("the config file " + path + ": \"profiles\" must be an object");
    }
    for (const auto& [name, value] : profiles->as_object()) {
      if (value.is_object()) config.profiles[std::string(name)] = ProfileFromJson(value.as_object());
    }
  }
  return config;
}

void SaveConfig(const std::string& path, const ConfigFile& config) {
  json::object profiles;
  for (const auto& [name, p] : config.profiles) profiles[name] = ProfileToJson(p);
  json::object doc{{"current", config.current}, {"profiles", std::move(profiles)}};

  std::filesystem::path file(path);
  std::error_code ec;
  if (file.has_parent_path() && !std::filesystem::exists(file.parent_path())) {
    std::filesystem::create_directories(file.parent_path(), ec);
    if (!ec) ::chmod(file.parent_path().c_str(), 0700);
  }
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    // Created 0600 from the start: the secret is never readable by others, not even briefly.
    const mode_t old_mask = ::umask(077);
    std::ofstream out(tmp, std::ios::trunc);
    ::umask(old_mask);
    out << json::serialize(doc) << "\n";
    if (!out.good()) {
      throw UsageError("cannot write the config file " + tmp);
    }
  }
  ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    throw UsageError("cannot write the config file " + path + ": " + ec.message());
  }
}

std::string NormalizeEndpoint(const std::string& endpoint) {
  std::string e = endpoint;
  while (!e.empty() && e.back() == '/') e.pop_back();
  const size_t scheme = e.find("://");
  if (scheme == std::string::npos) return "http://" + e;
  if (e.substr(0, scheme) != "http" && e.substr(0, scheme) != "https") {
    throw UsageError("the endpoint " + endpoint + " is neither http:// nor https://",
                     "use --endpoint http://HOST:PORT (or https:// when the server has TLS)");
  }
  if (e.size() == scheme + 3) throw UsageError("the endpoint " + endpoint + " has no host");
  return e;
}

Profile ResolveProfile(const ConfigFile& config, const ProfileFlags& flags, const EnvLookup& env) {
  std::string name = flags.profile;
  if (name.empty()) name = env("OPENECI_PROFILE").value_or("");
  const bool named = !name.empty();
  if (!named) name = config.current.empty() ? kDefaultProfile : config.current;

  Profile base;
  auto it = config.profiles.find(name);
  if (it != config.profiles.end()) {
    base = it->second;
  } else if (named) {
    throw UsageError("unknown profile \"" + name + "\" (known: " + KnownProfiles(config) + ")",
                     "create it with `eci configure --profile " + name +
                         " --endpoint ... --access-key-id ... --access-key-secret ...`");
  }

  Profile p;
  p.endpoint = Pick(flags.endpoint, env, "OPENECI_ENDPOINT", base.endpoint);
  p.access_key_id = Pick(flags.access_key_id, env, "ALIBABA_CLOUD_ACCESS_KEY_ID",
                         base.access_key_id);
  p.access_key_secret = Pick(flags.access_key_secret, env, "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                             base.access_key_secret);
  p.region_id = Pick(flags.region_id, env, "ALIBABA_CLOUD_REGION_ID", base.region_id);
  if (p.region_id.empty()) p.region_id = kDefaultRegion;
  p.ca_file = Pick(flags.ca_file, env, "OPENECI_CA_FILE", base.ca_file);
  if (p.endpoint.empty()) {
    throw UsageError("no endpoint: profile \"" + name + "\" has none and neither --endpoint nor "
                     "OPENECI_ENDPOINT is set",
                     "run `eci configure --endpoint http://127.0.0.1:18080 --access-key-id ... "
                     "--access-key-secret ...` (scripts/run prints the endpoint and keys)");
  }
  if (p.access_key_id.empty() || p.access_key_secret.empty()) {
    throw UsageError("no AccessKey: profile \"" + name + "\" has no access_key_id/"
                     "access_key_secret and no flag or ALIBABA_CLOUD_ACCESS_KEY_* variable sets one",
                     "run `eci configure --access-key-id ... --access-key-secret ...`");
  }
  p.endpoint = NormalizeEndpoint(p.endpoint);
  return p;
}

}  // namespace openeci::cli
