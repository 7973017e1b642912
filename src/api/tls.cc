#include "api/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstring>

namespace openeci::api {
namespace {

namespace ssl = boost::asio::ssl;

// Mozilla's "intermediate" TLS 1.2 suites; TLS 1.3 uses OpenSSL's defaults (all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// The reason of OpenSSL's latest error, and clears its queue.
std::string OpenSslReason() {
  const char* reason = ERR_reason_error_string(ERR_peek_last_error());
  ERR_clear_error();
  return reason != nullptr ? reason : "no details from OpenSSL";
}

Status Bad(const std::string& what) { return InvalidParameter("TLS: " + what); }

Status Readable(const std::string& what, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return Bad("cannot read the " + what + " " + path + ": " + std::strerror(errno));
  }
  std::fclose(f);
  return Status::Ok();
}

}  // namespace

StatusOr<std::shared_ptr<ssl::context>> LoadServerTls(const std::string& cert_chain_file,
                                                       const std::string& key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::no_compression | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return InternalError("TLS: OpenSSL refuses the cipher list: " + OpenSslReason());
  }

  RETURN_IF_ERROR(Readable("certificate chain", cert_chain_file));
  RETURN_IF_ERROR(Readable("private key", key_file));
  if (SSL_CTX_use_certificate_chain_file(native, cert_chain_file.c_str()) != 1) {
    return Bad(cert_chain_file + " holds no usable PEM certificate (" + OpenSslReason() + ")");
  }

  // The key is read on its own first, so that "unreadable" and "not the certificate's key"
  // are told apart.
  // No passphrase callback would mean OpenSSL asking on the terminal: refuse encrypted keys.
  auto no_passphrase = [](char*, int, int, void*) { return -1; };
  BIO* bio = BIO_new_file(key_file.c_str(), "r");
  EVP_PKEY* key =
      bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, no_passphrase, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr) {
    return Bad(key_file + " holds no usable unencrypted PEM private key (" + OpenSslReason() +
               ")");
  }
  int used = SSL_CTX_use_PrivateKey(native, key);
  EVP_PKEY_free(key);
  if (used != 1 || SSL_CTX_check_private_key(native) != 1) {
    return Bad("the private key " + key_file + " does not belong to the certificate in " +
               cert_chain_file + " (" + OpenSslReason() + ")");
  }
  return ctx;
}

}  // namespace openeci::api
