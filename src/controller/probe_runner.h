// RuntimeProbeRunner: the real ProbeRunner. Exec probes run the command in the container with
// the runtime's ExecSync (exit 0 = success); HTTP GET probes connect to the pod IP (HTTPS without
// certificate verification, as kubelet does) and succeed on a status of 200-399; TCP probes
// succeed when a connection to the pod IP opens. Every probe is bounded by TimeoutSeconds.
// Failure outputs are worded like kubelet's ("HTTP probe failed with statuscode: 503",
// "dial tcp 10.0.0.5:80: connect: connection refused", `command "..." timed out`).
//
// Thread-safe (stateless apart from the runtime, which is thread-safe).
#pragma once

#include <string>

#include "controller/prober.h"
#include "runtime/runtime.h"

namespace openeci::controller {

class RuntimeProbeRunner final : public ProbeRunner {
 public:
  // `runtime` must outlive the runner.
  explicit RuntimeProbeRunner(runtime::Runtime& runtime) : runtime_(runtime) {}

  ProbeOutcome Run(const core::ProbeSpec& spec, const ProbeTarget& target) override;

 private:
  ProbeOutcome Exec(const core::ProbeSpec& spec, const ProbeTarget& target);

  runtime::Runtime& runtime_;
};

// The network probes on their own (exposed for tests against local servers).
ProbeOutcome HttpGetProbe(const std::string& ip, int port, const std::string& path, bool https,
                          int timeout_seconds);
ProbeOutcome TcpProbe(const std::string& ip, int port, int timeout_seconds);

}  // namespace openeci::controller
