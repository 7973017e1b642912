#include "controller/registry_auth.h"

#include "runtime/image_ref.h"

namespace openeci::controller {

std::optional<runtime::RegistryAuth> AuthFor(
    const std::vector<core::RegistryCredential>& credentials, const std::string& image) {
  std::string host = runtime::RegistryHost(image);
  for (const auto& c : credentials) {
    std::string server = c.server;
    for (const char* scheme : {"https://", "http://"}) {
      if (server.rfind(scheme, 0) == 0) server = server.substr(std::string(scheme).size());
    }
    while (!server.empty() && server.back() == '/') server.pop_back();
    if (server == host) return runtime::RegistryAuth{c.username, c.password};
  }
  return std::nullopt;
}

}  // namespace openeci::controller
