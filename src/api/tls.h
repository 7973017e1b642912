// Server-side TLS: loads and checks the certificate chain and private key `openeci serve` is
// configured with (OPENECI_TLS_CERT, OPENECI_TLS_KEY) into the context HttpServer::SetTls takes.
// Only TLS 1.2 and 1.3, forward-secret AEAD cipher suites (Mozilla's "intermediate" set), no
// compression, no renegotiation. Free function; the context it returns is shared read-only by
// the server's I/O threads.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace boost::asio::ssl {
class context;
}

namespace openeci::api {

// `cert_chain_file`: PEM, the server certificate first, then any intermediates. `key_file`: the
// PEM private key of that certificate (not encrypted). Fails with InvalidParameter naming the
// file when it cannot be read, holds no certificate or key, or when the key does not belong to
// the certificate.
StatusOr<std::shared_ptr<boost::asio::ssl::context>> LoadServerTls(
    const std::string& cert_chain_file, const std::string& key_file);

}  // namespace openeci::api
