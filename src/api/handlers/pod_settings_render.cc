#include "api/handlers/pod_settings_render.h"

namespace openeci::api {
namespace {

namespace json = boost::json;

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const std::string& s : v) a.emplace_back(s);
  return a;
}

json::object RenderDnsConfig(const core::DnsConfigSpec& dns) {
  json::array options;
  for (const core::DnsOption& o : dns.options) {
    options.push_back(json::object{{"Name", o.name}, {"Value", o.value}});
  }
  return json::object{{"NameServers", Strings(dns.name_servers)},
                      {"Searches", Strings(dns.searches)},
                      {"Options", std::move(options)}};
}

}  // namespace

json::object RenderSecurityContext(const core::SecurityContextSpec& sc) {
  json::object o{{"Capability", json::object{{"Adds", Strings(sc.capabilities_add)}}},
                 {"ReadOnlyRootFilesystem", sc.read_only_root_filesystem}};
  if (sc.run_as_user) o["RunAsUser"] = *sc.run_as_user;
  return o;
}

void RenderContainerSecurity(const core::ContainerSpec& spec, json::object& container) {
  container["SecurityContext"] = RenderSecurityContext(spec.security_context);
  container["Stdin"] = spec.stdin_open;
  container["StdinOnce"] = spec.stdin_once;
  container["Tty"] = spec.tty;
}

void RenderPodSettings(const core::ContainerGroupSpec& spec, json::object& group) {
  json::array aliases;
  for (const core::HostAlias& a : spec.host_aliases) {
    aliases.push_back(json::object{{"Ip", a.ip}, {"Hostnames", Strings(a.hostnames)}});
  }
  group["HostAliases"] = std::move(aliases);
  group["DnsConfig"] = RenderDnsConfig(spec.dns_config);
  json::array sysctls;
  for (const core::Sysctl& s : spec.sysctls) {
    sysctls.push_back(json::object{{"Name", s.name}, {"Value", s.value}});
  }
  group["EciSecurityContext"] = json::object{{"Sysctls", std::move(sysctls)}};
  group["NtpServers"] = Strings(spec.ntp_servers);
  group["DnsPolicy"] = spec.dns_policy;
}

}  // namespace openeci::api
