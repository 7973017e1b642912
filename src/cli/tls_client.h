// The client side of TLS for eci (https:// endpoints, wss:// exec): a context that verifies the
// server's certificate chain against a PEM CA file or, without one, the system's trust store,
// and the per-connection setup (SNI, host name or IP address check). TLS 1.2 or later.
// Free functions; a context is shared read-only by the streams made from it.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace openeci::cli {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Throws a usage error when `ca_file` is given but cannot be read as PEM certificates.
std::shared_ptr<boost::asio::ssl::context> MakeClientTlsContext(const std::string& ca_file);

// SNI (for host names) and the check that the certificate names `host`; call before the
// handshake.
void PrepareTlsClient(TlsStream& stream, const std::string& host);

}  // namespace openeci::cli
