#include "api/probe_render.h"

namespace openeci::api {

namespace json = boost::json;

json::object RenderProbe(const core::ProbeSpec& p) {
  json::object o;
  o["HttpGet"] = json::object();
  o["TcpSocket"] = json::object();
  if (!p.Configured()) return o;
  if (!p.exec_command.empty()) {
    json::array execs;
    for (const auto& arg : p.exec_command) execs.emplace_back(arg);
    o["Execs"] = std::move(execs);
  }
  if (p.http_port != 0) {
    o["HttpGet"] = json::object{
        {"Path", p.http_path}, {"Port", p.http_port}, {"Scheme", p.http_scheme}};
  }
  if (p.tcp_port != 0) o["TcpSocket"] = json::object{{"Port", p.tcp_port}};
  o["InitialDelaySeconds"] = p.initial_delay_seconds;
  o["PeriodSeconds"] = p.period_seconds;
  o["TimeoutSeconds"] = p.timeout_seconds;
  o["SuccessThreshold"] = p.success_threshold;
  o["FailureThreshold"] = p.failure_threshold;
  return o;
}

}  // namespace openeci::api
