// SgFirewall: security-group isolation on the node. Groups in the same security group reach
// each other over the pod network; groups in different ones do not. Traffic from and to the
// host (probes, exec, port checks, the gateway) is never touched: only packets the kernel
// forwards from the pod bridge back onto the pod bridge are filtered (bridged IPv4 reaches the
// `inet` forward hook through br_netfilter, whose bridge-nf-call-iptables is switched on at
// start).
//
// The rules live in one nftables table of OpenECI's own, named after the instance's bridge
// (`inet openeci_<bridge>`), so several stacks on one machine never touch each other's rules:
//
//   table inet openeci_<bridge> {
//     set sg_0 { type ipv4_addr; comment "sg-a"; elements = { 10.77.0.5, 10.77.0.9 } }
//     chain forward { type filter hook forward priority 0; policy accept;
//                     iifname "<bridge>" oifname "<bridge>" jump pods }
//     chain pods    { ip saddr @sg_0 ip daddr @sg_0 accept
//                     drop }   # other groups, IPs no group runs on, IPv6
//   }
//
// Level-triggered: every pass derives the whole table from the store (a group's security group
// and its IntranetIp) and the runtime (the IPs live sandboxes hold), and replaces the table in
// one nft transaction when the text changed (and every `resync_interval` regardless). So rules
// follow the IP a group runs on now (a pooled sandbox gets its rules when a group claims it and
// its IP is written), vanish with the group's sandbox, are rebuilt after a restart, and an IP
// no group claims (yet) is cut off from every other pod: isolation fails closed. Stop() removes
// the table unless told to keep it (pods kept running across a restart stay isolated).
//
// Thread-safe: Start/Stop from one thread; the work runs on the firewall's own thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "core/model.h"
#include "runtime/runtime.h"
#include "store/store.h"

namespace openeci::controller {

// Security group ID -> the IPv4 addresses of the pods in it.
using SgMembers = std::map<std::string, std::set<std::string>>;

// Which sandbox IP belongs to which security group: a group counts with its IntranetIp when a
// live sandbox holds that IP. An IP claimed by two groups goes to the one whose sandbox label
// names it, or to neither (fail closed).
SgMembers DesiredSgMembers(const std::vector<core::ContainerGroup>& groups,
                           const std::vector<runtime::SandboxInfo>& sandboxes);

// The table's name for a bridge: "openeci_" + the bridge name with every character nft would
// not take in a name turned into '_'.
std::string SgTableName(const std::string& bridge);

// The nft script that replaces the table atomically (create, delete, recreate in one
// transaction).
std::string RenderSgRuleset(const std::string& bridge, const SgMembers& members);
// The nft script that removes the table (ok when it is absent).
std::string RenderSgRemoval(const std::string& bridge);

// Runs an nft script; the default pipes it into `nft -f -`.
using NftApplier = std::function<Status(const std::string& script)>;
Status RunNft(const std::string& script);

struct SgFirewallOptions {
  std::string bridge;  // the pod bridge; names the table
  std::chrono::milliseconds check_interval{1000};    // runtime check (sandboxes gone)
  std::chrono::milliseconds resync_interval{30000};  // re-applied even when unchanged
  bool remove_on_stop = true;
  // Where br_netfilter's switches live (tests point it elsewhere).
  std::string bridge_nf_dir = "/proc/sys/net/bridge";
  NftApplier apply = RunNft;
};

class SgFirewall {
 public:
  // `store` and `runtime` must outlive the firewall.
  SgFirewall(store::Store& store, runtime::Runtime& runtime, SgFirewallOptions options);
  ~SgFirewall();
  SgFirewall(const SgFirewall&) = delete;
  SgFirewall& operator=(const SgFirewall&) = delete;

  // Applies the current rules once (an error here means nft does not work: fail loudly), then
  // follows the store's watch and the runtime on the firewall's thread.
  Status Start();
  // Stops following; removes the table when options.remove_on_stop.
  void Stop();

  // One pass, reading the store: derive, and apply when changed or `force`. For tests.
  Status SyncOnce(bool force);

 private:
  void Loop();
  // Derives the table from the groups (read again when `reload_groups`, else as last read) and
  // the live sandboxes; applies it when it changed or `force`.
  Status Sync(bool reload_groups, bool force);

  store::Store& store_;
  runtime::Runtime& runtime_;
  const SgFirewallOptions options_;
  std::unique_ptr<store::WatchHandle> watch_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool dirty_ = false;     // a store change since the last pass; mu_
  bool stopping_ = false;  // mu_
  // Firewall thread (or Start before it) only:
  std::string applied_;  // the last script applied
  std::vector<core::ContainerGroup> groups_;  // the store's groups as last read
  bool groups_loaded_ = false;
};

}  // namespace openeci::controller
