#include "core/probe_validation.h"

namespace openeci::core {
namespace {

Status Invalid(const std::string& param, const std::string& why) {
  return InvalidParameter("The parameter \"" + param + "\" " + why + ".");
}

int HandlerCount(const ProbeSpec& p) {
  return (p.exec_command.empty() ? 0 : 1) + (p.http_port != 0 ? 1 : 0) + (p.tcp_port != 0 ? 1 : 0);
}

// Whether any field of an unconfigured probe differs from its default (the user set part of a
// probe but no handler).
bool Touched(const ProbeSpec& p) {
  const ProbeSpec defaults;
  return !p.http_path.empty() || p.http_scheme != defaults.http_scheme ||
         p.initial_delay_seconds != defaults.initial_delay_seconds ||
         p.period_seconds != defaults.period_seconds ||
         p.timeout_seconds != defaults.timeout_seconds ||
         p.success_threshold != defaults.success_threshold ||
         p.failure_threshold != defaults.failure_threshold;
}

// A path that can go on an HTTP request line as it is.
bool IsRequestPath(const std::string& path) {
  for (unsigned char c : path) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return path.empty() || path[0] == '/';
}

Status ValidatePort(int port, const std::string& param) {
  if (port < 1 || port > 65535) return Invalid(param, "must be between 1 and 65535");
  return Status::Ok();
}

Status ValidateTimings(const ProbeSpec& p, const std::string& param, bool liveness) {
  if (p.initial_delay_seconds < 0) {
    return Invalid(param + ".InitialDelaySeconds", "must not be negative");
  }
  if (p.period_seconds < 1) return Invalid(param + ".PeriodSeconds", "must be at least 1");
  if (p.timeout_seconds < 1) return Invalid(param + ".TimeoutSeconds", "must be at least 1");
  if (p.success_threshold < 1) return Invalid(param + ".SuccessThreshold", "must be at least 1");
  if (liveness && p.success_threshold != 1) {
    return Invalid(param + ".SuccessThreshold", "must be 1 for a liveness probe");
  }
  if (p.failure_threshold < 1) return Invalid(param + ".FailureThreshold", "must be at least 1");
  return Status::Ok();
}

Status ValidateTimer(const std::optional<int64_t>& value, const std::string& param,
                     int64_t min) {
  if (value && (*value < min || *value > kMaxTimerSeconds)) {
    return Invalid(param, "must be between " + std::to_string(min) + " and " +
                              std::to_string(kMaxTimerSeconds));
  }
  return Status::Ok();
}

}  // namespace

Status ValidateProbe(const ProbeSpec& p, const std::string& param, bool liveness) {
  int handlers = HandlerCount(p);
  if (handlers > 1 || (handlers == 0 && Touched(p))) {
    return Invalid(param, "must have exactly one handler: Exec.Command, HttpGet.Port or "
                          "TcpSocket.Port");
  }
  if (handlers == 0) return Status::Ok();
  if (p.http_port != 0) {
    RETURN_IF_ERROR(ValidatePort(p.http_port, param + ".HttpGet.Port"));
    if (p.http_scheme != "HTTP" && p.http_scheme != "HTTPS") {
      return Invalid(param + ".HttpGet.Scheme", "must be HTTP or HTTPS");
    }
    if (!IsRequestPath(p.http_path)) {
      return Invalid(param + ".HttpGet.Path", "must be an absolute path without spaces");
    }
  } else if (!p.http_path.empty() || p.http_scheme != ProbeSpec().http_scheme) {
    return Invalid(param + ".HttpGet.Port", "is required with HttpGet.Path or HttpGet.Scheme");
  }
  if (p.tcp_port != 0) RETURN_IF_ERROR(ValidatePort(p.tcp_port, param + ".TcpSocket.Port"));
  return ValidateTimings(p, param, liveness);
}

Status ValidateProbesAndTimers(const ContainerGroupSpec& spec) {
  for (size_t i = 0; i < spec.containers.size(); ++i) {
    const ContainerSpec& c = spec.containers[i];
    std::string p = "Container." + std::to_string(i + 1);
    RETURN_IF_ERROR(ValidateProbe(c.liveness_probe, p + ".LivenessProbe", true));
    RETURN_IF_ERROR(ValidateProbe(c.readiness_probe, p + ".ReadinessProbe", false));
  }
  for (size_t i = 0; i < spec.init_containers.size(); ++i) {
    const ContainerSpec& c = spec.init_containers[i];
    std::string p = "InitContainer." + std::to_string(i + 1);
    if (c.liveness_probe.Configured() || Touched(c.liveness_probe)) {
      return Invalid(p + ".LivenessProbe", "is not supported for init containers");
    }
    if (c.readiness_probe.Configured() || Touched(c.readiness_probe)) {
      return Invalid(p + ".ReadinessProbe", "is not supported for init containers");
    }
  }
  RETURN_IF_ERROR(ValidateTimer(spec.termination_grace_period_seconds,
                                "TerminationGracePeriodSeconds", 0));
  return ValidateTimer(spec.active_deadline_seconds, "ActiveDeadlineSeconds", 1);
}

}  // namespace openeci::core
