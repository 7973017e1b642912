#include "core/probe_validation.h"

#include <gtest/gtest.h>

#include "core/validation.h"

namespace openeci::core {
namespace {

ContainerGroupSpec WithProbes() {
  ContainerGroupSpec spec;
  spec.name = "web";
  spec.region_id = "cn-hangzhou";
  ContainerSpec c;
  c.name = "app";
  c.image = "busybox";
  c.liveness_probe.exec_command = {"cat", "/tmp/healthy"};
  c.readiness_probe.http_port = 8080;
  c.readiness_probe.http_path = "/ready";
  spec.containers.push_back(c);
  return spec;
}

ProbeSpec& Liveness(ContainerGroupSpec& s) { return s.containers[0].liveness_probe; }
ProbeSpec& Readiness(ContainerGroupSpec& s) { return s.containers[0].readiness_probe; }

TEST(ProbeValidation, AcceptsEachHandlerAndTheTimers) {
  ContainerGroupSpec spec = WithProbes();
  spec.termination_grace_period_seconds = 0;
  spec.active_deadline_seconds = 1;
  EXPECT_TRUE(ValidateSpec(spec).ok()) << ValidateSpec(spec).ToString();
  Readiness(spec) = ProbeSpec();
  Readiness(spec).tcp_port = 80;
  Readiness(spec).success_threshold = 3;
  Readiness(spec).http_scheme = "HTTP";
  EXPECT_TRUE(ValidateSpec(spec).ok());
  Liveness(spec) = ProbeSpec();
  Liveness(spec).http_port = 443;
  Liveness(spec).http_scheme = "HTTPS";
  EXPECT_TRUE(ValidateSpec(spec).ok());
}

struct Case {
  const char* what;
  void (*mutate)(ContainerGroupSpec&);
  const char* names;  // the parameter the message must name
};

TEST(ProbeValidation, RefusesWithInvalidParameterNamingTheParameter) {
  const Case cases[] = {
      {"two handlers", [](ContainerGroupSpec& s) { Liveness(s).tcp_port = 80; },
       "Container.1.LivenessProbe\""},
      {"timing without handler",
       [](ContainerGroupSpec& s) {
         Liveness(s) = ProbeSpec();
         Liveness(s).period_seconds = 5;
       },
       "Container.1.LivenessProbe\""},
      {"period 0", [](ContainerGroupSpec& s) { Readiness(s).period_seconds = 0; },
       "Container.1.ReadinessProbe.PeriodSeconds"},
      {"timeout 0", [](ContainerGroupSpec& s) { Liveness(s).timeout_seconds = 0; },
       "Container.1.LivenessProbe.TimeoutSeconds"},
      {"negative delay", [](ContainerGroupSpec& s) { Readiness(s).initial_delay_seconds = -1; },
       "Container.1.ReadinessProbe.InitialDelaySeconds"},
      {"liveness success threshold 2",
       [](ContainerGroupSpec& s) { Liveness(s).success_threshold = 2; },
       "Container.1.LivenessProbe.SuccessThreshold"},
      {"readiness success threshold 0",
       [](ContainerGroupSpec& s) { Readiness(s).success_threshold = 0; },
       "Container.1.ReadinessProbe.SuccessThreshold"},
      {"failure threshold 0", [](ContainerGroupSpec& s) { Readiness(s).failure_threshold = 0; },
       "Container.1.ReadinessProbe.FailureThreshold"},
      {"http port out of range", [](ContainerGroupSpec& s) { Readiness(s).http_port = 70000; },
       "Container.1.ReadinessProbe.HttpGet.Port"},
      {"tcp port negative",
       [](ContainerGroupSpec& s) {
         Readiness(s) = ProbeSpec();
         Readiness(s).tcp_port = -1;
       },
       "Container.1.ReadinessProbe.TcpSocket.Port"},
      {"scheme", [](ContainerGroupSpec& s) { Readiness(s).http_scheme = "FTP"; },
       "Container.1.ReadinessProbe.HttpGet.Scheme"},
      {"path with a space", [](ContainerGroupSpec& s) { Readiness(s).http_path = "/a b"; },
       "Container.1.ReadinessProbe.HttpGet.Path"},
      {"path without port",
       [](ContainerGroupSpec& s) {
         Liveness(s).http_path = "/x";
       },
       "Container.1.LivenessProbe.HttpGet.Port"},
      {"negative grace", [](ContainerGroupSpec& s) { s.termination_grace_period_seconds = -1; },
       "TerminationGracePeriodSeconds"},
      {"deadline 0", [](ContainerGroupSpec& s) { s.active_deadline_seconds = 0; },
       "ActiveDeadlineSeconds"},
      {"deadline too large",
       [](ContainerGroupSpec& s) { s.active_deadline_seconds = kMaxTimerSeconds + 1; },
       "ActiveDeadlineSeconds"},
      {"probe on an init container",
       [](ContainerGroupSpec& s) {
         s.init_containers.push_back(s.containers[0]);
         s.init_containers[0].name = "init";
       },
       "InitContainer.1.LivenessProbe"},
  };
  for (const Case& c : cases) {
    ContainerGroupSpec spec = WithProbes();
    c.mutate(spec);
    Status st = ValidateProbesAndTimers(spec);
    EXPECT_EQ(st.api_code(), "InvalidParameter") << c.what;
    EXPECT_NE(st.message().find(c.names), std::string::npos) << c.what << ": " << st.message();
  }
}

}  // namespace
}  // namespace openeci::core
