#include "server/config.h"

#include <boost/json.hpp>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace openeci::server {
namespace {

namespace json = boost::json;

Status Bad(const std::string& what) { return InvalidParameter("configuration: " + what); }

StatusOr<int64_t> ToInt(const std::string& name, const std::string& v) {
  try {
    size_t used = 0;
    int64_t n = std::stoll(v, &used);
    if (used != v.size() || n < 0) return Bad(name + " must be a non-negative integer");
    return n;
  } catch (...) {
    return Bad(name + " must be a non-negative integer, got \"" + v + "\"");
  }
}

StatusOr<double> ToDouble(const std::string& name, const std::string& v) {
  try {
    size_t used = 0;
    double d = std::stod(v, &used);
    if (used != v.size() || !(d >= 0) || d == HUGE_VAL) {
      return Bad(name + " must be a non-negative number");
    }
    return d;
  } catch (...) {
    return Bad(name + " must be a non-negative number, got \"" + v + "\"");
  }
}

// The admission and retention settings (numbers only); false when `key` is not one of them.
bool ApplyAdmission(ServerConfig& c, const std::string& key, const std::string& v, Status* st) {
  const std::pair<const char*, double*> doubles[] = {
      {"capacity_cpu", &c.capacity_cpu},
      {"capacity_memory_gib", &c.capacity_memory_gib},
      {"reserved_cpu", &c.reserved_cpu},
      {"reserved_memory_gib", &c.reserved_memory_gib},
      {"cpu_overcommit", &c.cpu_overcommit},
      {"memory_overcommit", &c.memory_overcommit},
      {"throttle_read_rate", &c.throttle_read_rate},
      {"throttle_write_rate", &c.throttle_write_rate},
      {"throttle_burst_seconds", &c.throttle_burst_seconds}};
  for (const auto& [name, field] : doubles) {
    if (key != name) continue;
    StatusOr<double> d = ToDouble(key, v);
    *st = d.ok() ? Status::Ok() : d.status();
    if (d.ok()) *field = *d;
    return true;
  }
  const std::pair<const char*, int64_t*> ints[] = {
      {"group_quota", &c.group_quota},
      {"failed_retention_seconds", &c.failed_retention_seconds},
      {"succeeded_retention_count", &c.succeeded_retention_count}};
  for (const auto& [name, field] : ints) {
    if (key != name) continue;
    StatusOr<int64_t> n = ToInt(key, v);
    *st = n.ok() ? Status::Ok() : n.status();
    if (n.ok()) *field = *n;
    return true;
  }
  return false;
}

// Applies one setting by its name (config-file key, or env name without OPENECI_, lower-case).
Status Apply(ServerConfig& c, const std::string& key, const std::string& v) {
  auto set_int = [&](int64_t& field) -> Status {
    ASSIGN_OR_RETURN(field, ToInt(key, v));
    return Status::Ok();
  };
  if (Status st; ApplyAdmission(c, key, v, &st)) return st;
  if (key == "listen") c.listen = v;
  else if (key == "state_dir") c.state_dir = v;
  else if (key == "access_key_id") c.access_key_id = v;
  else if (key == "access_key_secret") c.access_key_secret = v;
  else if (key == "region") c.topology.region_id = v;
  else if (key == "zone") {
    c.topology.zones = {v};
    for (auto& vsw : c.topology.vswitches) vsw.zone_id = v;
  } else if (key == "vswitch") c.topology.vswitches.front().id = v;
  else if (key == "subnet") c.topology.vswitches.front().cidr = v;
  else if (key == "security_group") {
    // A comma-separated list; the first is the default of groups that name none.
    c.topology.security_groups.clear();
    std::stringstream list(v);
    for (std::string item; std::getline(list, item, ',');) {
      if (!item.empty()) c.topology.security_groups.push_back(item);
    }
    if (c.topology.security_groups.empty()) return Bad("security_group must name at least one");
  }
  else if (key == "bridge") {
    bool ok = !v.empty() && v.size() <= 15;
    for (char ch : v) ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.');
    if (!ok) return Bad("bridge must be 1 to 15 letters, digits, '-', '_' or '.'");
    c.bridge = v;
  }
  else if (key == "sandbox_image") c.sandbox_image = v;
  else if (key == "sandbox_image_archive") c.sandbox_image_archive = v;
  else if (key == "preload_images") {
    c.preload_images.clear();
    std::stringstream list(v);
    for (std::string item; std::getline(list, item, ',');) {
      if (!item.empty()) c.preload_images.push_back(item);
    }
  }
  else if (key == "containerd_bin") c.containerd_bin = v;
  else if (key == "containerd_socket") c.containerd_socket = v;
  else if (key == "log_level") c.log_level = v;
  else if (key == "console_dir") c.console_dir = v;
  else if (key == "log_format") {
    if (v != "text" && v != "json") {
      return Bad("log_format must be text or json, got \"" + v + "\"");
    }
    c.log_format = v;
  }
  else if (key == "ops_listen") c.ops_listen = v;
  else if (key == "tls_cert") c.tls_cert = v;
  else if (key == "tls_key") c.tls_key = v;
  else if (key == "keep_pods_on_exit") c.keep_pods_on_exit = (v == "1" || v == "true");
  else if (key == "sg_isolation") c.sg_isolation = (v == "1" || v == "true");
  else if (key == "backoff_base_ms") return set_int(c.backoff_base_ms);
  else if (key == "backoff_max_ms") return set_int(c.backoff_max_ms);
  else if (key == "poll_interval_ms") return set_int(c.poll_interval_ms);
  else if (key == "log_max_bytes") {
    ASSIGN_OR_RETURN(c.log_max_bytes, ToInt(key, v));
    if (c.log_max_bytes < 4096) return Bad("log_max_bytes must be at least 4096");
  }
  else if (key == "stop_grace_seconds") return set_int(c.stop_grace_seconds);
  else if (key == "pull_progress_timeout_seconds") {
    ASSIGN_OR_RETURN(c.pull_progress_timeout_seconds, ToInt(key, v));
    if (c.pull_progress_timeout_seconds < 0) {
      return Bad("pull_progress_timeout_seconds must be 0 (off) or more");
    }
  }
  else if (key == "exec_token_ttl_seconds") {
    ASSIGN_OR_RETURN(c.exec_token_ttl_seconds, ToInt(key, v));
    if (c.exec_token_ttl_seconds < 1) return Bad("exec_token_ttl_seconds must be at least 1");
  }
  else if (key == "http_request_timeout_seconds") {
    ASSIGN_OR_RETURN(c.http_request_timeout_seconds, ToInt(key, v));
    if (c.http_request_timeout_seconds < 1) {
      return Bad("http_request_timeout_seconds must be at least 1");
    }
  }
  else if (key == "http_max_connections") {
    ASSIGN_OR_RETURN(c.http_max_connections, ToInt(key, v));
    if (c.http_max_connections < 1 || c.http_max_connections > 1000000) {
      return Bad("http_max_connections must be between 1 and 1000000");
    }
  }
  else if (key == "http_threads") {
    int64_t n = 0;
    ASSIGN_OR_RETURN(n, ToInt(key, v));
    c.http_threads = static_cast<int>(std::max<int64_t>(1, n));
  } else if (key == "metrics_interval_seconds") {
    ASSIGN_OR_RETURN(c.metrics_interval_seconds, ToInt(key, v));
    if (c.metrics_interval_seconds < 1) return Bad("metrics_interval_seconds must be at least 1");
  } else if (key == "sandbox_pool_size") {
    ASSIGN_OR_RETURN(c.sandbox_pool_size, ToInt(key, v));
    if (c.sandbox_pool_size < 0 || c.sandbox_pool_size > 100) {
      return Bad("sandbox_pool_size must be between 0 and 100");
    }
  } else if (key == "controller_workers") {
    int64_t n = 0;
    ASSIGN_OR_RETURN(n, ToInt(key, v));
    c.controller_workers = static_cast<int>(std::max<int64_t>(1, n));
  } else {
    return Bad("unknown setting \"" + key + "\"");
  }
  return Status::Ok();
}

const char* const kKeys[] = {
    "listen", "state_dir", "access_key_id", "access_key_secret", "region", "zone", "vswitch",
    "subnet", "security_group", "bridge", "sandbox_image", "sandbox_image_archive",
    "preload_images",
    "containerd_bin", "containerd_socket", "log_level", "keep_pods_on_exit", "backoff_base_ms",
    "backoff_max_ms", "poll_interval_ms", "log_max_bytes", "stop_grace_seconds", "http_threads",
    "http_request_timeout_seconds", "http_max_connections",
    "controller_workers", "metrics_interval_seconds", "exec_token_ttl_seconds",
    "console_dir", "log_format", "ops_listen",
    "capacity_cpu", "capacity_memory_gib", "reserved_cpu", "reserved_memory_gib",
    "cpu_overcommit", "memory_overcommit", "group_quota", "failed_retention_seconds",
    "succeeded_retention_count", "sandbox_pool_size", "tls_cert", "tls_key",
    "pull_progress_timeout_seconds",
    "throttle_read_rate", "throttle_write_rate", "throttle_burst_seconds", "sg_isolation"};

}  // namespace

StatusOr<ServerConfig> LoadConfig(const std::string& config_file) {
  ServerConfig c;
  c.console_dir = OPENECI_DEFAULT_CONSOLE_DIR;
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) return Bad("cannot read " + config_file);
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    json::value doc = json::parse(text.str(), ec);
    if (ec || !doc.is_object()) return Bad(config_file + " is not a JSON object");
    for (const auto& [k, v] : doc.get_object()) {
      std::string value = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
      RETURN_IF_ERROR(Apply(c, std::string(k), value));
    }
  }
  for (const char* key : kKeys) {
    std::string env = "OPENECI_";
    for (const char* p = key; *p; ++p) env += static_cast<char>(std::toupper(*p));
    if (const char* v = std::getenv(env.c_str()); v != nullptr && *v != '\0') {
      RETURN_IF_ERROR(Apply(c, key, v));
    }
  }
  if (c.access_key_id.empty() != c.access_key_secret.empty()) {
    return Bad("set both OPENECI_ACCESS_KEY_ID and OPENECI_ACCESS_KEY_SECRET, or neither");
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return Bad("set both OPENECI_TLS_CERT and OPENECI_TLS_KEY (HTTPS), or neither (plain HTTP)");
  }
  c.topology.endpoint = c.listen;
  return c;
}

}  // namespace openeci::server
