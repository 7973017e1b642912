// FakeProbeRunner: a ProbeRunner for unit tests whose outcome per container the test sets. It
// records every call (container and timeout). Thread-safe: one mutex.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "controller/prober.h"

namespace openeci::controller {

class FakeProbeRunner final : public ProbeRunner {
 public:
  // From now on probes of `container_id` answer `outcome` (default: success).
  void Set(const std::string& container_id, ProbeOutcome outcome) {
    std::lock_guard lock(mu_);
    outcomes_[container_id] = std::move(outcome);
  }
  // The containers probed, in order.
  std::vector<std::string> Calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<int> Timeouts() const {
    std::lock_guard lock(mu_);
    return timeouts_;
  }

  ProbeOutcome Run(const core::ProbeSpec& spec, const ProbeTarget& target) override {
    std::lock_guard lock(mu_);
    calls_.push_back(target.container_id);
    timeouts_.push_back(spec.timeout_seconds);
    auto it = outcomes_.find(target.container_id);
    return it == outcomes_.end() ? ProbeOutcome{true, ""} : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, ProbeOutcome> outcomes_;
  std::vector<std::string> calls_;
  std::vector<int> timeouts_;
};

}  // namespace openeci::controller
