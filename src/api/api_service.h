// ApiService: the RPC front door. For every HTTP request it merges query and form parameters,
// finds the action (Action parameter or x-acs-action header) and version, authenticates the
// caller (both signature schemes), runs the action's handler and renders the answer (JSON, or
// XML on Format=XML) with a RequestId. Thread-safe: called from every HTTP thread.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "api/handlers/handlers.h"
#include "api/http_server.h"
#include "api/signature.h"

namespace openeci::api {

inline constexpr const char* kApiVersion = "2018-08-08";

class ApiService {
 public:
  ApiService(ApiEnv env, Authenticator& authenticator, std::string host_id);

  HttpResponse Handle(const HttpRequest& request);
  // The answer to a request the HTTP layer could not parse.
  HttpResponse HandleUnparsable(int http_status, const std::string& reason);

 private:
  struct Decoded;
  StatusOr<boost::json::object> Run(const HttpRequest& request, const std::string& request_id,
                                    Decoded& decoded);
  // Tells env_.request_observer (if any) about an answered request.
  void Report(const std::string& action, int http_status, const std::string& error_code,
              std::chrono::steady_clock::time_point started) const;

  ApiEnv env_;
  Authenticator& authenticator_;
  std::string host_id_;
  std::map<std::string, ActionFn, std::less<>> actions_;
};

}  // namespace openeci::api
