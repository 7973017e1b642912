// openeci: the server. `openeci serve` wires the concrete parts together — SQLite store, own
// containerd, CRI runtime, controller, HTTP API — and runs until SIGINT/SIGTERM. This file is
// the only place that picks concrete types.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "api/api_service.h"
#include "api/exec_endpoint.h"
#include "api/exec_sessions.h"
#include "api/http_server.h"
#include "api/path_router.h"
#include "api/signature.h"
#include "api/tls.h"
#include "common/clock.h"
#include "common/ids.h"
#include "controller/controller.h"
#include "controller/image_cache_controller.h"
#include "controller/sandbox_pool.h"
#include "controller/sg_firewall.h"
#include "core/container_group_service.h"
#include "core/image_cache_service.h"
#include "logs/log_rotator.h"
#include "metrics/metrics_sampler.h"
#include "ops/json_log_formatter.h"
#include "ops/ops_endpoints.h"
#include "ops/readiness.h"
#include "ops/server_metrics.h"
#include "runtime/containerd/containerd_process.h"
#include "runtime/containerd/containerd_supervisor.h"
#include "runtime/containerd/pull_progress.h"
#include "runtime/cri/cri_runtime.h"
#include "server/config.h"
#include "server/keys_command.h"
#include "server/node_capacity.h"
#include "server/static_files.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::server {
namespace {

constexpr const char* kDefaultAccount = "openeci-default";
// How long /readyz (and a /metrics scrape) waits for the store and for containerd.
constexpr std::chrono::milliseconds kReadyTimeout{2000};

// The first account's key: from the configuration, or generated once and kept 0600 in
// <state>/credentials. Returns the key to print.
StatusOr<core::AccessKey> SeedAccessKey(store::Store& store, const ServerConfig& config,
                                        const Clock& clock) {
  std::string path = config.state_dir + "/credentials";
  core::AccessKey key;
  key.account_id = kDefaultAccount;
  key.creation_time = ToUnixMillis(clock.Now());
  if (!config.access_key_id.empty()) {
    key.id = config.access_key_id;
    key.secret = config.access_key_secret;
    RETURN_IF_ERROR(store.PutAccessKey(key));
    return key;
  }
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("AccessKeyId=", 0) == 0) key.id = line.substr(12);
    if (line.rfind("AccessKeySecret=", 0) == 0) key.secret = line.substr(16);
  }
  if (key.id.empty() || key.secret.empty()) {
    key.id = "LTAI" + RandomAlnum(20);
    key.secret = RandomAlnum(30);
    std::ofstream out(path, std::ios::trunc);
    out << "AccessKeyId=" << key.id << "\nAccessKeySecret=" << key.secret << "\n";
    out.close();
    ::chmod(path.c_str(), 0600);
  }
  if (store.GetAccessKey(key.id).ok()) return key;
  RETURN_IF_ERROR(store.PutAccessKey(key));
  return key;
}

// Stops and removes every sandbox OpenECI created (a clean exit leaves no pod running; the
// groups stay in the store and are rebuilt on the next start).
void StopAllPods(runtime::Runtime& runtime) {
  auto sandboxes = runtime.ListSandboxes();
  if (!sandboxes.ok()) return;
  for (const auto& sb : *sandboxes) {
    // Warm pool sandboxes go too (and claimed ones, which carry no group label): the next start
    // refills the pool, and groups get a new sandbox as after any clean stop.
    if (!sb.labels.count(runtime::kGroupIdLabel) && !controller::IsPoolSandbox(sb)) continue;
    Status st = runtime.StopSandbox(sb.id);
    if (st.ok()) st = runtime.RemoveSandbox(sb.id);
    if (!st.ok()) spdlog::warn("stopping sandbox {}: {}", sb.id, st.ToString());
  }
}

// What is left on the host once no pod runs: the pod bridge and the (empty) cgroup parents.
void CleanupHost(const ServerConfig& config, const std::string& cgroup_root) {
  std::string cmd = "ip link delete '" + config.bridge + "' 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) spdlog::debug("bridge {} already gone", config.bridge);
  std::error_code ec;
  for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
    ::rmdir((hierarchy.path().string() + cgroup_root).c_str());
  }
}

int Serve(const std::string& config_file) {
  StatusOr<ServerConfig> loaded = LoadConfig(config_file);
  if (!loaded.ok()) {
    std::cerr << loaded.status().message() << "\n";
    return 2;
  }
  const ServerConfig config = std::move(loaded).value();
  // Certificate problems are configuration errors: refuse them before starting anything.
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (!config.tls_cert.empty()) {
    auto loaded_tls = api::LoadServerTls(config.tls_cert, config.tls_key);
    if (!loaded_tls.ok()) {
      std::cerr << loaded_tls.status().message() << "\n";
      return 2;
    }
    tls = std::move(loaded_tls).value();
  }
  const std::string scheme = tls ? "https" : "http";
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  ops::SetLogFormat(config.log_format);
  spdlog::info("OpenECI {} starting", ops::BuildVersion());

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::error_code ec;
  std::filesystem::create_directories(config.state_dir + "/logs", ec);
  ::chmod(config.state_dir.c_str(), 0700);
  SystemClock clock;

  auto store = store::SqliteStore::Open(config.state_dir + "/openeci.db");
  if (!store.ok()) {
    spdlog::critical("store: {}", store.status().ToString());
    return 1;
  }
  auto key = SeedAccessKey(**store, config, clock);
  if (!key.ok()) {
    spdlog::critical("access key: {}", key.status().ToString());
    return 1;
  }

  runtime::ContainerdOptions cd;
  cd.containerd_bin = config.containerd_bin;
  cd.state_dir = config.state_dir + "/containerd";
  cd.cni_conf_dir = config.state_dir + "/cni/net.d";
  cd.cni_data_dir = config.state_dir + "/cni/ipam";
  cd.bridge_name = config.bridge;
  cd.subnet = config.topology.vswitches.front().cidr;
  cd.sandbox_image = config.sandbox_image;
  cd.sandbox_image_archive = config.sandbox_image_archive;
  cd.preload_image_archives = config.preload_images;
  cd.external_socket = config.containerd_socket;
  auto started = runtime::ContainerdProcess::Start(cd);
  if (!started.ok()) {
    spdlog::critical("containerd: {}", started.status().ToString());
    return 1;
  }
  // Started again whenever it dies; the pods and every client below carry on over its socket.
  runtime::ContainerdSupervisor containerd(cd, std::move(started).value());
  containerd.Start();
  auto cri = runtime::CriRuntime::Connect(containerd.socket_path());
  if (!cri.ok()) {
    spdlog::critical("CRI: {}", cri.status().ToString());
    return 1;
  }
  if (Status ready = (*cri)->CheckReady(); !ready.ok()) {
    spdlog::critical("CRI not ready: {}", ready.ToString());
    return 1;
  }

  // Operations: metrics hooks and the readiness probes (store answers, containerd answers).
  ops::MetricRegistry metric_registry;
  ops::TimedProbe store_probe(
      "store",
      [&store]() -> StatusOr<std::string> {
        RETURN_IF_ERROR((*store)->CountGroups("").status());
        return std::string();
      },
      kReadyTimeout);
  ops::TimedProbe containerd_probe(
      "containerd", [&cri]() { return (*cri)->Version(); }, kReadyTimeout);
  ops::Readiness readiness({&store_probe, &containerd_probe});
  ops::ServerMetrics server_metrics(metric_registry, {store->get(), &containerd_probe});

  // Byte progress of image pulls (PullProgress events of groups, Progress of image caches);
  // without it groups record Pulling/Pulled only and cache Progress counts whole images.
  auto pull_probe = runtime::PullProgressProbe::Connect(containerd.socket_path());
  if (!pull_probe.ok()) spdlog::warn("pull progress: {}", pull_probe.status().ToString());
  controller::ControllerOptions co;
  if (pull_probe.ok()) {
    co.pull_ingests = [probe = pull_probe->get()] { return probe->Active(); };
    co.pull_abort_ingest = [probe = pull_probe->get()](const std::string& ref) {
      return probe->Abort(ref);
    };
  }
  co.workers = config.controller_workers;
  co.poll_interval = std::chrono::milliseconds(config.poll_interval_ms);
  co.backoff_base = std::chrono::milliseconds(config.backoff_base_ms);
  co.backoff_max = std::chrono::milliseconds(config.backoff_max_ms);
  co.stop_grace = std::chrono::seconds(config.stop_grace_seconds);
  co.pull_stall_timeout = std::chrono::seconds(config.pull_progress_timeout_seconds);
  co.log_root = config.state_dir + "/logs";
  co.pod_root = config.state_dir + "/pods";
  controller::VolumeManager volumes({config.state_dir + "/volumes"});
  co.volumes = &volumes;
  co.pull_observer = &server_metrics;
  co.retention.failed_retention_ms = config.failed_retention_seconds * 1000;
  co.retention.succeeded_per_account = config.succeeded_retention_count;
  // Security groups are enforced before the controller runs a pod (pods no group claims are
  // cut off from each other until their group's IP is recorded).
  controller::SgFirewallOptions fo;
  fo.bridge = config.bridge;
  fo.remove_on_stop = !config.keep_pods_on_exit;
  controller::SgFirewall firewall(**store, **cri, fo);
  if (config.sg_isolation) {
    if (Status st = firewall.Start(); !st.ok()) {
      spdlog::critical("security groups: {}", st.ToString());
      return 1;
    }
  }
  controller::SandboxPoolOptions spo;
  spo.size = static_cast<int>(config.sandbox_pool_size);
  spo.keys = {controller::PoolKey(config.topology.vswitches.front().id,
                                  config.topology.security_groups.front())};
  spo.cgroup_root = co.cgroup_root;
  controller::SandboxPool pool(**store, **cri, clock, spo);
  if (Status st = pool.Start(); !st.ok()) spdlog::warn("sandbox pool: {}", st.ToString());
  co.pool = &pool;
  controller::Controller controller(**store, **cri, clock, co);
  if (Status st = controller.Start(); !st.ok()) {
    spdlog::critical("controller: {}", st.ToString());
    return 1;
  }
  controller::ImageCacheControllerOptions ico;
  ico.pull_probe = pull_probe.ok() ? pull_probe->get() : nullptr;
  ico.pull_observer = &server_metrics;
  ico.pull_stall_timeout = co.pull_stall_timeout;
  controller::ImageCacheController image_cache_controller(**store, **cri, clock, ico);
  if (Status st = image_cache_controller.Start(); !st.ok()) {
    spdlog::critical("image cache controller: {}", st.ToString());
    return 1;
  }
  logs::LogRotator log_rotator(**cri, logs::LogRotatorOptions{
                                         static_cast<uint64_t>(config.log_max_bytes)});
  log_rotator.Start();

  metrics::SamplerOptions mo;
  mo.interval = std::chrono::seconds(config.metrics_interval_seconds);
  metrics::MetricsSampler sampler(**cri, clock, mo);
  sampler.Start();
  // A deleted group's samples go with it (else they would stay for the retention, 24 h).
  auto sampler_watch = (*store)->Watch([&sampler](const store::WatchEvent& e) {
    if (e.type == store::WatchEvent::Type::kDelete) sampler.Forget(e.group_id);
  });

  core::AdmissionPolicy admission;
  MachineResources machine = DetectMachine("/proc", "/sys/fs/cgroup");
  admission.capacity = NodeCapacityFor(config, machine);
  admission.max_groups_per_account = config.group_quota;
  spdlog::info("node capacity for container groups: {} vCPUs, {:.2f} GiB (machine: {} CPUs, "
               "{:.2f} GiB); {} live groups per account",
               admission.capacity.cpu, admission.capacity.memory_gib, machine.cpu,
               machine.memory_gib, config.group_quota);
  core::ContainerGroupService groups(**store, clock, config.topology, admission);
  core::ImageCacheService image_caches(
      **store, clock, config.topology,
      [&image_cache_controller](const std::string& id) { image_cache_controller.Enqueue(id); });
  api::Authenticator authenticator(
      [&store](const std::string& id) { return (*store)->GetAccessKey(id); }, clock);
  api::ApiEnv api_env{groups, config.topology};
  api_env.metrics = &sampler;
  api_env.image_caches = &image_caches;
  api::ExecSessionRegistry exec_sessions(clock,
                                         std::chrono::seconds(config.exec_token_ttl_seconds));
  // An exec token stays bound to its account: the key that asked must still be enabled and
  // the group still that account's when the WebSocket connects.
  api::ExecEndpoint exec_endpoint(
      exec_sessions, **cri, [&authenticator, &groups](const api::ExecSession& s) -> Status {
        RETURN_IF_ERROR(authenticator.CheckUsable(s.access_key_id, s.account_id));
        return groups.Get(s.account_id, s.group_id).status();
      });
  api_env.runtime = cri->get();
  api_env.exec_sessions = &exec_sessions;
  api_env.public_endpoint = config.listen;
  api_env.tls = tls != nullptr;
  api_env.log_root = co.log_root;
  api_env.clock = &clock;
  api_env.request_observer = &server_metrics;
  api::Throttle throttle(clock, {config.throttle_read_rate, config.throttle_write_rate,
                                 config.throttle_burst_seconds});
  api_env.throttle = &throttle;
  api::ApiService api(api_env, authenticator, "eci.aliyuncs.com");
  StaticFiles console(config.console_dir, "/console");
  ops::AddQueueDepthMetric(
      metric_registry,
      {{"container_groups", [&controller] { return controller.QueueLength(); }},
       {"image_caches",
        [&image_cache_controller] { return image_cache_controller.QueueLength(); }}});
  metric_registry.AddCallback(
      "openeci_containerd_restarts_total",
      "Times containerd died and was started again by this server.", "counter", {},
      [&containerd] {
        return std::vector<ops::Sample>{{{}, static_cast<double>(containerd.restarts())}};
      });
  ops::OpsEndpoints ops_endpoints(metric_registry, readiness);
  // Non-API paths; everything else is the RPC API.
  api::PathRouter router([&api](const api::HttpRequest& r) { return api.Handle(r); });
  router.Add("/console", [&console](const api::HttpRequest& r) { return console.Serve(r); });
  api::PathRouter ops_router(&ops::OpsNotFound);
  ops_endpoints.AddRoutes(config.ops_listen.empty() ? router : ops_router);
  api::HttpServer http([&router](const api::HttpRequest& r) { return router.Handle(r); },
                       [&api](int status, const std::string& reason) {
                         return api.HandleUnparsable(status, reason);
                       });
  http.SetWebSocketHandler(
      [&exec_endpoint](const api::HttpRequest& r) { return exec_endpoint.Decide(r); });
  if (tls) http.SetTls(tls);
  http.SetRequestTimeout(std::chrono::seconds(config.http_request_timeout_seconds));
  http.SetMaxConnections(static_cast<int>(config.http_max_connections));
  if (Status st = http.Start(config.listen, config.http_threads); !st.ok()) {
    spdlog::critical("{}", st.ToString());
    return 1;
  }
  // Only started with OPENECI_OPS_LISTEN: then the operations paths are served there alone.
  api::HttpServer ops_http(
      [&ops_router](const api::HttpRequest& r) { return ops_router.Handle(r); },
      [](int status, const std::string& reason) {
        return api::HttpResponse{status, "text/plain", reason + "\n", {}};
      });
  if (!config.ops_listen.empty()) {
    if (Status st = ops_http.Start(config.ops_listen, 1); !st.ok()) {
      spdlog::critical("operations listener: {}", st.ToString());
      return 1;
    }
    spdlog::info("/metrics, /healthz and /readyz on http://{}", config.ops_listen);
  }
  std::printf("AccessKeyId: %s\nAccessKeySecret: %s\n", key->id.c_str(), key->secret.c_str());
  std::printf("OpenECI listening on %s://%s\n", scheme.c_str(), config.listen.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("signal {}: shutting down", sig);
  http.Stop();
  ops_http.Stop();
  sampler_watch.reset();
  sampler.Stop();
  log_rotator.Stop();
  image_cache_controller.Stop();
  controller.Stop();
  pool.Stop();
  if (!config.keep_pods_on_exit) StopAllPods(**cri);
  // No pod uses the volumes any more: unmount their tmpfs and NFS mounts (disk data stays).
  if (!config.keep_pods_on_exit) volumes.ReleaseAll();
  firewall.Stop();  // after the pods: no moment where they run without their rules
  Status st = containerd.Stop();
  if (!st.ok()) spdlog::warn("containerd stop: {}", st.ToString());
  if (!config.keep_pods_on_exit) CleanupHost(config, co.cgroup_root);
  spdlog::info("stopped");
  return 0;
}

// `openeci keys ...` on the store of the configuration (server/keys_command.h).
int Keys(const std::string& config_file, const KeysCommand& command) {
  StatusOr<ServerConfig> loaded = LoadConfig(config_file);
  if (!loaded.ok()) {
    std::cerr << loaded.status().message() << "\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(loaded->state_dir, ec);
  ::chmod(loaded->state_dir.c_str(), 0700);
  auto store = store::SqliteStore::Open(loaded->state_dir + "/openeci.db");
  if (!store.ok()) {
    std::cerr << "openeci keys: store: " << store.status().message() << "\n";
    return 1;
  }
  SystemClock clock;
  return RunKeysCommand(**store, clock, command, std::cout, std::cerr);
}

}  // namespace
}  // namespace openeci::server

int main(int argc, char** argv) {
  CLI::App app{"OpenECI: a self-hosted Elastic Container Instance service"};
  app.require_subcommand(1);
  std::string config_file;
  auto* serve = app.add_subcommand("serve", "Run the API server, its containerd and controller");
  serve->add_option("-c,--config", config_file, "JSON config file (OPENECI_* env vars win)");
  auto* keys = app.add_subcommand("keys", "Manage accounts' AccessKeys in the server's store");
  keys->add_option("-c,--config", config_file, "JSON config file (OPENECI_* env vars win)");
  keys->require_subcommand(1);
  openeci::server::KeysCommand kc;
  auto* create = keys->add_subcommand("create", "New AccessKey of an account (prints the secret)");
  create->add_option("--account", kc.account_id, "Account ID")->required();
  auto* list = keys->add_subcommand("list", "List AccessKeys (never their secrets)");
  list->add_option("--account", kc.account_id, "Only this account's keys");
  for (const char* verb : {"disable", "enable", "delete"}) {
    keys->add_subcommand(verb, std::string(verb) + " an AccessKey")
        ->add_option("ID", kc.key_id, "AccessKey ID")
        ->required();
  }
  CLI11_PARSE(app, argc, argv);
  if (const char* env = std::getenv("OPENECI_CONFIG"); config_file.empty() && env) config_file = env;
  if (keys->parsed()) {
    kc.verb = keys->get_subcommands().front()->get_name();
    return openeci::server::Keys(config_file, kc);
  }
  return openeci::server::Serve(config_file);
}
