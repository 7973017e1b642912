// ApiClient: signed calls to the OpenECI (ECI 2018-08-08 RPC) API, the only way `eci` talks to
// the server. Every call is an HTTP POST to the profile's endpoint with a form body signed with
// the V1 scheme (api::SignV1Request, the same code the server verifies with), Format=JSON; over
// TLS for an https:// endpoint (cli/tls_client.h: the profile's CA file or the system's trust).
//
// Not thread-safe (one command, one thread). A failure throws CliError: kApiError with the
// answer's Code, Message and RequestId; kConnectionError when the endpoint cannot be reached or
// does not answer like OpenECI.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <string>

#include "cli/cli_error.h"
#include "cli/profile.h"

namespace boost::asio::ssl {
class context;
}

namespace openeci::cli {

class ApiClient {
 public:
  // Throws a usage error when an https profile's CA file cannot be used.
  explicit ApiClient(Profile profile);
  ~ApiClient();

  // Calls `action` with `params` (flat RPC parameters, e.g. "Container.1.Name"). RegionId is
  // added from the profile unless `params` has one. Returns the answer's JSON object.
  boost::json::object Call(const std::string& action, std::map<std::string, std::string> params);

  const Profile& profile() const { return profile_; }
  // "host:port" of the endpoint.
  const std::string& host_port() const { return host_port_; }

 private:
  // Sends one request and returns (HTTP status, body); throws kConnectionError.
  std::pair<int, std::string> Post(const std::string& body);
  CliError ConnectionError(const std::string& what) const;

  Profile profile_;
  std::string host_;
  std::string port_;
  std::string host_port_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // null for http://
};

// An actionable hint for an API error code, or "".
std::string HintForApiCode(const std::string& code, const Profile& profile);

}  // namespace openeci::cli
