// How DescribeContainerGroups shows a container's LivenessProbe / ReadinessProbe, with the SDK's
// field names (Execs, HttpGet.Path/Port/Scheme, TcpSocket.Port, InitialDelaySeconds, ...). Pure
// function, thread-safe.
#pragma once

#include <boost/json.hpp>

#include "core/model.h"

namespace openeci::api {

// An unconfigured probe renders as {"HttpGet": {}, "TcpSocket": {}}, as ECI answers it.
boost::json::object RenderProbe(const core::ProbeSpec& probe);

}  // namespace openeci::api
