// RequestObserver: told about every answered API request (for the operations metrics). The
// action is one the API knows, or "unknown" (missing or not an action of this API), so that a
// caller cannot grow the label set; `error_code` is the Alibaba error Code, empty on success.
// Implementations must be thread-safe and quick: they run on the HTTP threads.
#pragma once

#include <string>

namespace openeci::api {

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void OnApiRequest(const std::string& action, int http_status,
                            const std::string& error_code, double seconds) = 0;
};

}  // namespace openeci::api
