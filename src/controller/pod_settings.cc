#include "controller/pod_settings.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/pod_security.h"

namespace openeci::controller {
namespace {

std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

void AppendUnique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const std::string& s : from) {
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
  }
}

std::string OptionName(const std::string& option) { return option.substr(0, option.find(':')); }

// `host`'s options with `added` merged in by name; an added option replaces the host's.
std::vector<std::string> MergeOptions(const std::vector<std::string>& host,
                                      const std::vector<std::string>& added) {
  std::vector<std::string> out;
  for (const std::string& h : host) {
    bool replaced = std::any_of(added.begin(), added.end(), [&](const std::string& a) {
      return OptionName(a) == OptionName(h);
    });
    if (!replaced) out.push_back(h);
  }
  AppendUnique(out, added);
  return out;
}

std::vector<std::string> OptionStrings(const std::vector<core::DnsOption>& options) {
  std::vector<std::string> out;
  for (const core::DnsOption& o : options) {
    out.push_back(o.value.empty() ? o.name : o.name + ":" + o.value);
  }
  return out;
}

}  // namespace

ResolvConf ParseResolvConf(const std::string& text) {
  ResolvConf rc;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> w = Words(line);
    if (w.empty() || w[0][0] == '#' || w[0][0] == ';') continue;
    std::vector<std::string> rest(w.begin() + 1, w.end());
    if (w[0] == "nameserver" && !rest.empty()) {
      AppendUnique(rc.servers, {rest[0]});
    } else if (w[0] == "search" || w[0] == "domain") {
      rc.searches = rest;  // the last search or domain line wins, as in the C library
    } else if (w[0] == "options") {
      rc.options = MergeOptions(rc.options, rest);
    }
  }
  return rc;
}

void ApplyDnsSettings(const core::ContainerGroupSpec& spec, const ResolvConf& host,
                      runtime::SandboxConfig& sb) {
  const core::DnsConfigSpec& dns = spec.dns_config;
  ResolvConf rc;
  if (spec.dns_policy != "None") {
    if (!core::HasDnsConfig(dns)) return;  // containerd copies the machine's resolv.conf
    rc = host;
  }
  AppendUnique(rc.servers, dns.name_servers);
  AppendUnique(rc.searches, dns.searches);
  rc.options = MergeOptions(rc.options, OptionStrings(dns.options));
  if (rc.servers.size() > core::kMaxDnsNameServers) rc.servers.resize(core::kMaxDnsNameServers);
  if (rc.searches.size() > core::kMaxDnsSearches) rc.searches.resize(core::kMaxDnsSearches);
  sb.dns_servers = std::move(rc.servers);
  sb.dns_searches = std::move(rc.searches);
  sb.dns_options = std::move(rc.options);
}

void ApplySysctls(const core::ContainerGroupSpec& spec, runtime::SandboxConfig& sb) {
  for (const core::Sysctl& s : spec.sysctls) sb.sysctls[s.name] = s.value;
}

std::string HostsFileContent(const core::ContainerGroupSpec& spec, const std::string& hostname,
                             const std::string& pod_ip) {
  std::string out =
      "# OpenECI-managed hosts file.\n"
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "fe00::0\tip6-mcastprefix\n"
      "fe00::1\tip6-allnodes\n"
      "fe00::2\tip6-allrouters\n";
  if (!pod_ip.empty()) out += pod_ip + "\t" + hostname + "\n";
  if (!spec.host_aliases.empty()) {
    out += "\n# Entries added by HostAliases.\n";
    for (const core::HostAlias& a : spec.host_aliases) {
      out += a.ip;
      for (const std::string& h : a.hostnames) out += "\t" + h;
      out += "\n";
    }
  }
  return out;
}

Status WriteFileIfChanged(const std::string& path, const std::string& content) {
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream current;
      current << in.rdbuf();
      if (current.str() == content) return Status::Ok();
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return InternalError("cannot write " + path);
  return Status::Ok();
}

}  // namespace openeci::controller
