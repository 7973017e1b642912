// Rendering shared by DescribeContainerGroupMetric and DescribeMultiContainerGroupMetric: one
// metrics::Sample of a group as a record of the API (Timestamp, CPU, Memory, Network,
// Containers, Disk, Filesystem). Thread-safe (pure functions).
//
// CPU Limit is the allotted vCPUs in the reference's unit, 1024 per vCPU (its samples show 1024
// for a 1-vCPU container and 2048 for its 2-vCPU group); a container without its own Cpu gets
// the group's. Load is UsageNanoCores as a percentage of that allotment (a container spinning
// at its quota shows 100). Disk and Filesystem are not collected and answer empty arrays.
#pragma once

#include <boost/json.hpp>

#include "core/model.h"
#include "metrics/metrics_sampler.h"

namespace openeci::api {

boost::json::object RenderMetricRecord(const metrics::Sample& sample,
                                       const core::ContainerGroup& group);

}  // namespace openeci::api
