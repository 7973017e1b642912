// cri_start: the raw CRI baseline of the start benchmarks (bench/start.mjs, bench/parallel.mjs).
//
// Runs N pods against a containerd CRI socket with our own CRI client (runtime::CriRuntime),
// C at a time: RunPodSandbox (the same network, i.e. containerd's CNI configuration, and the
// sandbox settings OpenECI uses: its metadata namespace, hostname, labels, log directory, a
// cgroup parent below /openeci, per-container PID namespaces, the host's resolv.conf), then
// CreateContainer + StartContainer of one container with the given image, command and
// CPU/memory limits. Per pod it measures the wall time from before RunPodSandbox until
// StartContainer returned (containerd reports the task running then). It prints one JSON
// object on stdout and removes every sandbox it created (also after a failure).
//
//   cri_start --socket /path/containerd.sock --image 127.0.0.1:5000/library/busybox:1.36
//             [-n 50] [-c 1] [--cpu 0.25] [--memory 0.5] [-- /bin/sh -c 'sleep 3600']
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "runtime/cri/cri_runtime.h"

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

struct Options {
  std::string socket;
  std::string image;
  int n = 1;
  int concurrency = 1;
  double cpu = 0.25;
  double memory_gib = 0.5;
  std::string log_root = "/tmp";
  std::vector<std::string> command = {"/bin/sh", "-c",
                                      "trap \"exit 0\" TERM; while :; do sleep 1; done"};
};

struct PodResult {
  bool ok = false;
  std::string error;
  std::string sandbox_id;
  double sandbox_ms = 0, create_ms = 0, start_ms = 0, total_ms = 0;
};

// One pod as OpenECI's controller would run it (see Controller::Pass::SandboxConfigFor and
// StartAttempt): the same CRI calls with the same settings, minus OpenECI's bookkeeping.
PodResult RunPod(openeci::runtime::CriRuntime& cri, const Options& opt, const std::string& name) {
  namespace rt = openeci::runtime;
  PodResult r;
  rt::SandboxConfig sb;
  sb.name = name;
  sb.uid = name;
  sb.hostname = name;
  sb.labels["openeci.bench"] = "cri_start";
  sb.log_directory = opt.log_root + "/" + name;
  sb.cgroup_parent = "/openeci/" + name;
  std::filesystem::create_directories(sb.log_directory);

  rt::ContainerConfig cc;
  cc.name = "main";
  cc.image = opt.image;
  cc.command = opt.command;
  cc.labels["openeci.bench"] = "cri_start";
  cc.log_path = "main/0.log";
  constexpr int64_t kPeriodUs = 100000;
  cc.cpu_period = kPeriodUs;
  cc.cpu_quota = std::llround(opt.cpu * kPeriodUs);
  cc.cpu_shares = std::max<int64_t>(2, std::llround(opt.cpu * 1024));
  cc.memory_limit_bytes = std::llround(opt.memory_gib * (1LL << 30));

  const auto t0 = Clock::now();
  auto sandbox = cri.RunSandbox(sb);
  const auto t1 = Clock::now();
  if (!sandbox.ok()) {
    r.error = sandbox.status().ToString();
    return r;
  }
  r.sandbox_id = *sandbox;
  auto container = cri.CreateContainer(*sandbox, cc, sb);
  const auto t2 = Clock::now();
  if (!container.ok()) {
    r.error = container.status().ToString();
    return r;
  }
  openeci::Status st = cri.StartContainer(*container);
  const auto t3 = Clock::now();
  if (!st.ok()) {
    r.error = st.ToString();
    return r;
  }
  r.ok = true;
  r.sandbox_ms = MsSince(t0, t1);
  r.create_ms = MsSince(t1, t2);
  r.start_ms = MsSince(t2, t3);
  r.total_ms = MsSince(t0, t3);
  return r;
}

boost::json::array Column(const std::vector<PodResult>& rs, double PodResult::*field) {
  boost::json::array out;
  for (const PodResult& r : rs) {
    if (r.ok) out.push_back(r.*field);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"Raw CRI start baseline: RunPodSandbox + CreateContainer + StartContainer"};
  app.add_option("--socket", opt.socket, "containerd socket")->required();
  app.add_option("--image", opt.image, "image (pulled first when absent)")->required();
  app.add_option("-n,--pods", opt.n, "pods to run")->check(CLI::Range(1, 100000));
  app.add_option("-c,--concurrency", opt.concurrency, "pods started at once")
      ->check(CLI::Range(1, 10000));
  app.add_option("--cpu", opt.cpu, "vCPUs per container (CFS quota)");
  app.add_option("--memory", opt.memory_gib, "GiB per container (memory limit)");
  app.add_option("--log-root", opt.log_root, "directory for the pods' log directories");
  app.add_option("command", opt.command, "container command (after --)");
  CLI11_PARSE(app, argc, argv);

  auto cri_or = openeci::runtime::CriRuntime::Connect(opt.socket);
  if (!cri_or.ok()) {
    std::cerr << "cri_start: " << cri_or.status().ToString() << "\n";
    return 1;
  }
  auto& cri = **cri_or;
  if (openeci::Status st = cri.CheckReady(); !st.ok()) {
    std::cerr << "cri_start: containerd not ready: " << st.ToString() << "\n";
    return 1;
  }
  auto present = cri.ImageExists(opt.image);
  if (!present.ok() || !*present) {
    if (openeci::Status st = cri.PullImage(opt.image, std::nullopt, /*cancel=*/nullptr); !st.ok()) {
      std::cerr << "cri_start: " << st.ToString() << "\n";
      return 1;
    }
  }

  const std::string prefix = "cri-bench-" + std::to_string(::getpid());
  opt.log_root = std::filesystem::path(opt.log_root) / prefix;
  std::vector<PodResult> results(opt.n);
  std::atomic<int> next{0};
  const auto wall0 = Clock::now();
  {
    std::vector<std::thread> workers;
    for (int w = 0; w < std::min(opt.concurrency, opt.n); ++w) {
      workers.emplace_back([&] {
        for (int i; (i = next.fetch_add(1)) < opt.n;) {
          results[i] = RunPod(cri, opt, prefix + "-" + std::to_string(i));
        }
      });
    }
    for (auto& t : workers) t.join();
  }
  const double wall_ms = MsSince(wall0, Clock::now());

  // Cleanup: every sandbox this run created (found by name, so a pod whose CreateContainer
  // failed after RunPodSandbox is removed too).
  int errors = 0;
  std::string first_error;
  for (const PodResult& r : results) {
    if (!r.ok) {
      ++errors;
      if (first_error.empty()) first_error = r.error;
    }
  }
  if (auto all = cri.ListSandboxes(); all.ok()) {
    for (const auto& sb : *all) {
      auto it = sb.labels.find("openeci.bench");
      if (it == sb.labels.end()) continue;
      bool mine = std::any_of(results.begin(), results.end(),
                              [&](const PodResult& r) { return r.sandbox_id == sb.id; });
      if (!mine) continue;
      (void)cri.StopSandbox(sb.id);
      if (openeci::Status st = cri.RemoveSandbox(sb.id); !st.ok()) {
        std::cerr << "cri_start: cleanup: " << st.ToString() << "\n";
      }
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(opt.log_root, ec);

  boost::json::object out;
  out["n"] = opt.n;
  out["concurrency"] = opt.concurrency;
  out["image"] = opt.image;
  out["errors"] = errors;
  if (!first_error.empty()) out["first_error"] = first_error;
  out["wall_ms"] = wall_ms;
  out["total_ms"] = Column(results, &PodResult::total_ms);
  out["sandbox_ms"] = Column(results, &PodResult::sandbox_ms);
  out["create_ms"] = Column(results, &PodResult::create_ms);
  out["start_ms"] = Column(results, &PodResult::start_ms);
  std::cout << boost::json::serialize(out) << "\n";
  return errors == 0 ? 0 : 2;
}
