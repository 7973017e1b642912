#include "cli/tls_client.h"

#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include "cli/cli_error.h"

namespace openeci::cli {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> MakeClientTlsContext(const std::string& ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(ca_file, ec);
    if (ec) {
      throw UsageError("cannot use the CA file " + ca_file + ": " + ec.message(),
                       "--ca-file (or OPENECI_CA_FILE) names a PEM file of CA certificates");
    }
  }
  return ctx;
}

void PrepareTlsClient(TlsStream& stream, const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (ec) SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());  // SNI: names only
  stream.set_verify_callback(ssl::host_name_verification(host));
}

}  // namespace openeci::cli
