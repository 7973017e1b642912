// The one place where an internal Status becomes an HTTP status and an Alibaba Cloud error
// body {RequestId, HostId, Code, Message, Recommend}. Thread-safe (pure functions).
#pragma once

#include <string>

#include "api/http_server.h"
#include "common/status.h"

namespace openeci::api {

// The HTTP status the API reference gives the status's code (falling back on its class).
int HttpStatusFor(const Status& status);

// The error response for `status`, as JSON (or XML when `xml`).
HttpResponse RenderError(const Status& status, const std::string& request_id,
                         const std::string& host_id, bool xml);

}  // namespace openeci::api
