// Validation of liveness/readiness probes and of the group's stop timers
// (TerminationGracePeriodSeconds, ActiveDeadlineSeconds), with the API reference's defaults and
// minimums. Pure functions, thread-safe. Each failure is InvalidParameter naming the parameter
// with its wire name (e.g. "Container.2.LivenessProbe.PeriodSeconds").
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "core/model.h"

namespace openeci::core {

// Kubernetes' bound for both timers (a 32-bit count of seconds).
inline constexpr int64_t kMaxTimerSeconds = 2147483647;

// One probe; `param` is its wire prefix ("Container.1.ReadinessProbe"). A probe that is not
// configured is valid only when none of its fields were changed from the defaults.
Status ValidateProbe(const ProbeSpec& probe, const std::string& param, bool liveness);

// Every container's probes (init containers may have none) and the group's timers.
Status ValidateProbesAndTimers(const ContainerGroupSpec& spec);

}  // namespace openeci::core
