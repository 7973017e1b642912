#include "controller/sg_firewall.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>

extern char** environ;

namespace openeci::controller {
namespace {

bool IsIpv4(const std::string& ip) {
  in_addr addr{};
  return inet_pton(AF_INET, ip.c_str(), &addr) == 1;
}

// A security group ID as an nft comment: printable ASCII without quotes.
std::string CommentText(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += (std::isprint(static_cast<unsigned char>(c)) && c != '"' && c != '\\') ? c : '_';
  }
  return out;
}

// Ensures the proc switch `path` reads 1 (writes it when it does not).
Status EnsureSwitchOn(const std::string& path) {
  std::ifstream in(path);
  std::string value;
  if (!(in >> value)) {
    return UnavailableError("security group isolation needs br_netfilter: cannot read " + path);
  }
  if (value == "1") return Status::Ok();
  std::ofstream out(path);
  out << "1\n";
  out.close();
  if (!out) return UnavailableError("cannot switch on " + path);
  spdlog::info("security groups: switched on {}", path);
  return Status::Ok();
}

}  // namespace

SgMembers DesiredSgMembers(const std::vector<core::ContainerGroup>& groups,
                           const std::vector<runtime::SandboxInfo>& sandboxes) {
  // Live IPs and the group each one's sandbox is labelled with.
  std::map<std::string, std::string> live;
  for (const runtime::SandboxInfo& sb : sandboxes) {
    if (sb.state != runtime::SandboxState::kReady || !IsIpv4(sb.ip)) continue;
    auto label = sb.labels.find(runtime::kGroupIdLabel);
    live[sb.ip] = label == sb.labels.end() ? "" : label->second;
  }
  std::map<std::string, std::vector<const core::ContainerGroup*>> claims;  // by IP
  for (const core::ContainerGroup& g : groups) {
    const std::string& ip = g.status.intranet_ip;
    if (ip.empty() || g.spec.security_group_id.empty() || !live.count(ip)) continue;
    claims[ip].push_back(&g);
  }
  SgMembers out;
  for (const auto& [ip, owners] : claims) {
    const core::ContainerGroup* owner = owners.size() == 1 ? owners.front() : nullptr;
    for (const core::ContainerGroup* g : owners) {
      if (owners.size() > 1 && g->id == live[ip]) owner = g;
    }
    if (owner != nullptr) out[owner->spec.security_group_id].insert(ip);
  }
  return out;
}

std::string SgTableName(const std::string& bridge) {
  std::string name = "openeci_";
  for (char c : bridge) {
    name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return name;
}

std::string RenderSgRemoval(const std::string& bridge) {
  std::string table = "inet " + SgTableName(bridge);
  // Declaring first makes the delete succeed when the table is absent.
  return "table " + table + " {}\ndelete table " + table + "\n";
}

std::string RenderSgRuleset(const std::string& bridge, const SgMembers& members) {
  std::ostringstream s;
  s << RenderSgRemoval(bridge) << "table inet " << SgTableName(bridge) << " {\n";
  int n = 0;
  for (const auto& [sg, ips] : members) {
    s << "  set sg_" << n++ << " {\n    type ipv4_addr\n    comment \"" << CommentText(sg)
      << "\"\n";
    std::string sep = "    elements = { ";
    for (const std::string& ip : ips) {
      s << sep << ip;
      sep = ", ";
    }
    if (!ips.empty()) s << " }\n";
    s << "  }\n";
  }
  s << "  chain forward {\n"
    << "    type filter hook forward priority 0; policy accept;\n"
    << "    iifname \"" << bridge << "\" oifname \"" << bridge << "\" jump pods\n"
    << "  }\n"
    << "  chain pods {\n";
  for (int i = 0; i < n; ++i) {
    s << "    ip saddr @sg_" << i << " ip daddr @sg_" << i << " accept\n";
  }
  s << "    drop\n  }\n}\n";
  return s.str();
}

Status RunNft(const std::string& script) {
  int in[2];
  int err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return InternalError("pipe for nft");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return InternalError("pipe for nft");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, err[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  char arg0[] = "nft";
  char arg1[] = "-f";
  char arg2[] = "-";
  char* argv[] = {arg0, arg1, arg2, nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "nft", &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(err[0]);
    return UnavailableError("cannot run nft (package nftables): " + std::string(strerror(rc)));
  }
  for (size_t done = 0; done < script.size();) {
    ssize_t w = ::write(in[1], script.data() + done, script.size() - done);
    if (w <= 0) {
      if (w < 0 && errno == EINTR) continue;
      break;
    }
    done += static_cast<size_t>(w);
  }
  ::close(in[1]);
  std::string output;
  char buf[4096];
  for (ssize_t r; (r = ::read(err[0], buf, sizeof buf)) != 0;) {
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    output.append(buf, static_cast<size_t>(r));
  }
  ::close(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return InternalError("nft -f failed: " + output);
  }
  return Status::Ok();
}

SgFirewall::SgFirewall(store::Store& store, runtime::Runtime& runtime, SgFirewallOptions options)
    : store_(store), runtime_(runtime), options_(std::move(options)) {}

SgFirewall::~SgFirewall() { Stop(); }

Status SgFirewall::Start() {
  // Bridged IPv4 passes the inet forward hook only with bridge-nf-call-iptables on; IPv6
  // between pods is dropped, so it must pass the hook too.
  RETURN_IF_ERROR(EnsureSwitchOn(options_.bridge_nf_dir + "/bridge-nf-call-iptables"));
  RETURN_IF_ERROR(EnsureSwitchOn(options_.bridge_nf_dir + "/bridge-nf-call-ip6tables"));
  RETURN_IF_ERROR(SyncOnce(true));
  watch_ = store_.Watch([this](const store::WatchEvent&) {
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
    cv_.notify_one();
  });
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void SgFirewall::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_one();
  }
  watch_.reset();
  if (thread_.joinable()) thread_.join();
  if (options_.remove_on_stop && !applied_.empty()) {
    Status st = options_.apply(RenderSgRemoval(options_.bridge));
    if (!st.ok()) spdlog::warn("security groups: removing the rules: {}", st.ToString());
  }
}

Status SgFirewall::SyncOnce(bool force) { return Sync(/*reload_groups=*/true, force); }

Status SgFirewall::Sync(bool reload_groups, bool force) {
  if (reload_groups || force) {
    groups_loaded_ = false;
    ASSIGN_OR_RETURN(groups_, store_.ListActiveGroups());
    groups_loaded_ = true;
  }
  if (!groups_loaded_) return UnavailableError("the store's groups were never read");
  ASSIGN_OR_RETURN(std::vector<runtime::SandboxInfo> sandboxes, runtime_.ListSandboxes());
  std::string script = RenderSgRuleset(options_.bridge, DesiredSgMembers(groups_, sandboxes));
  if (!force && script == applied_) return Status::Ok();
  RETURN_IF_ERROR(options_.apply(script));
  if (script != applied_) spdlog::debug("security groups: rules now\n{}", script);
  applied_ = std::move(script);
  return Status::Ok();
}

void SgFirewall::Loop() {
  auto last_full = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.check_interval, [this] { return stopping_ || dirty_; });
    if (stopping_) break;
    // A failed read is retried at the next check.
    bool reload = dirty_ || !groups_loaded_;
    dirty_ = false;
    lock.unlock();
    bool force = std::chrono::steady_clock::now() - last_full >= options_.resync_interval;
    Status st = Sync(reload, force);
    if (!st.ok()) {
      spdlog::warn("security groups: {}", st.ToString());
    } else if (force) {
      last_full = std::chrono::steady_clock::now();
    }
    lock.lock();
  }
}

}  // namespace openeci::controller
