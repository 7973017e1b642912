// ServerConfig: everything `openeci serve` is told, from an optional JSON config file and then
// OPENECI_* environment variables (which win). Read once at start-up; immutable afterwards.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/topology.h"

namespace openeci::server {

struct ServerConfig {
  std::string listen = "127.0.0.1:18080";
  std::string state_dir = "/var/lib/openeci";
  std::string access_key_id;      // seeds the first account's key when set
  std::string access_key_secret;
  int http_threads = 2;
  int64_t http_request_timeout_seconds = 60;  // first byte to last byte of one request
  int64_t http_max_connections = 512;  // served at once; more wait to be accepted
  core::Topology topology;
  std::string bridge = "openeci0";
  std::string sandbox_image = "localhost/openeci/pause:1.0";
  std::string sandbox_image_archive;  // imported into containerd when the image is missing
  std::vector<std::string> preload_images;  // OCI archives imported into containerd at start
  std::string containerd_bin = "containerd";
  std::string containerd_socket;  // non-empty: use an existing containerd
  int64_t backoff_base_ms = 10000;
  int64_t backoff_max_ms = 300000;
  int64_t poll_interval_ms = 500;
  int64_t log_max_bytes = 10 << 20;  // a running container's log file is rotated past this
  int64_t stop_grace_seconds = 30;
  // An image pull whose downloads receive nothing for this long is cancelled; 0: never.
  int64_t pull_progress_timeout_seconds = 60;
  int64_t exec_token_ttl_seconds = 60;  // how long an ExecContainerCommand WebSocketUri is valid
  int controller_workers = 8;
  int64_t metrics_interval_seconds = 15;  // how often the metrics sampler asks for stats
  bool keep_pods_on_exit = false;  // on SIGTERM: stop the pods (default) or leave them running
  std::string log_level = "info";
  std::string console_dir;  // the web console's static files, served at /console
  std::string log_format = "text";  // "text" (spdlog's default lines) or "json" (JSON lines)
  // Where /metrics, /healthz and /readyz are served: empty = on `listen` next to the API;
  // an address:port = only there (the API port then does not answer them).
  std::string ops_listen;
  // Node capacity admission (server/node_capacity.h): what groups may hold is
  // (capacity - reserved) x overcommit; capacity 0 = detected from /proc and cgroup limits.
  double capacity_cpu = 0;
  double capacity_memory_gib = 0;
  double reserved_cpu = 0;
  double reserved_memory_gib = 0.5;
  double cpu_overcommit = 4;
  double memory_overcommit = 1;
  int64_t group_quota = 100;  // live container groups per account; 0 = no limit
  // HTTPS on `listen` (api/tls.h): a PEM certificate chain and its private key; both or neither.
  std::string tls_cert;
  std::string tls_key;
  // Per-account API rate limits (api/throttle.h): requests per second; 0 = off.
  double throttle_read_rate = 100;   // Describe*, Export*
  double throttle_write_rate = 20;   // Create*, Update*, Delete*, Restart*, Exec*
  double throttle_burst_seconds = 2;  // bucket capacity = rate x this
  // Retention of finished groups (core/retention.h).
  int64_t failed_retention_seconds = 86400;
  int64_t succeeded_retention_count = 100;
  // Warm sandboxes kept per (VSwitch, security group) (controller/sandbox_pool.h); 0 = no pool.
  int64_t sandbox_pool_size = 0;
  // Security-group isolation (controller/sg_firewall.h): nftables rules keep groups of
  // different security groups apart on the pod bridge.
  bool sg_isolation = true;
};

// Reads `config_file` (may be empty) and the environment. Refuses unknown keys and bad values.
StatusOr<ServerConfig> LoadConfig(const std::string& config_file);

}  // namespace openeci::server
