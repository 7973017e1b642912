#include "api/tls.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <stdlib.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <filesystem>
#include <fstream>

#include "api/http_server.h"

namespace openeci::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// A test CA and a server certificate it signed for 127.0.0.1 and localhost, plus a second,
// unrelated key; made once per test binary with the openssl command.
class TlsFiles : public ::testing::Environment {
 public:
  static inline std::string dir;
  void SetUp() override {
    char tmpl[] = "/tmp/openeci-tls-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
    const std::string script =
        "cd " + dir + " && exec >openssl.log 2>&1 && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
        "-subj /CN=openeci-test-ca -keyout ca.key -out ca.pem && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost "
        "-keyout server.key -out server.csr && "
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "-extfile san.ext -out server.pem && "
        "openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out other.key";
    ASSERT_EQ(std::system(script.c_str()), 0) << "openssl failed, see " << dir << "/openssl.log";
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
};
[[maybe_unused]] const auto* const kFiles = ::testing::AddGlobalTestEnvironment(new TlsFiles);

std::string File(const std::string& name) { return TlsFiles::dir + "/" + name; }

TEST(LoadServerTlsTest, AcceptsACertificateAndItsKey) {
  EXPECT_TRUE(LoadServerTls(File("server.pem"), File("server.key")).ok());
}

TEST(LoadServerTlsTest, RefusesAFileThatCannotBeRead) {
  auto cert = LoadServerTls(File("missing.pem"), File("server.key"));
  ASSERT_FALSE(cert.ok());
  EXPECT_EQ(cert.status().api_code(), "InvalidParameter");
  EXPECT_NE(cert.status().message().find("cannot read the certificate chain " +
                                         File("missing.pem")),
            std::string::npos)
      << cert.status().message();
  auto key = LoadServerTls(File("server.pem"), File("missing.key"));
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().message().find("cannot read the private key"), std::string::npos);
}

TEST(LoadServerTlsTest, RefusesAKeyOfAnotherCertificate) {
  auto st = LoadServerTls(File("server.pem"), File("other.key"));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("does not belong to the certificate"), std::string::npos)
      << st.status().message();
}

TEST(LoadServerTlsTest, RefusesFilesThatAreNotPem) {
  std::ofstream(File("garbage")) << "not a certificate\n";
  auto cert = LoadServerTls(File("garbage"), File("server.key"));
  ASSERT_FALSE(cert.ok());
  EXPECT_NE(cert.status().message().find("holds no usable PEM certificate"), std::string::npos)
      << cert.status().message();
  auto key = LoadServerTls(File("server.pem"), File("garbage"));
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().message().find("holds no usable unencrypted PEM private key"),
            std::string::npos)
      << key.status().message();
}

class HttpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HttpServer>(
        [](const HttpRequest&) { return HttpResponse{200, "text/plain", "secure", {}}; },
        [](int status, const std::string& reason) {
          return HttpResponse{status, "text/plain", reason, {}};
        });
    server_->SetWebSocketHandler([](const HttpRequest&) {
      WebSocketDecision d;
      d.run = [](WebSocketSession& s) {
        while (auto m = s.Receive()) s.Send("echo:" + m->data);
      };
      return d;
    });
    auto tls = LoadServerTls(File("server.pem"), File("server.key"));
    ASSERT_TRUE(tls.ok()) << tls.status().ToString();
    server_->SetTls(*tls);
    ASSERT_TRUE(server_->Start("127.0.0.1:0", 2).ok());
    client_ctx_.load_verify_file(File("ca.pem"));
    client_ctx_.set_verify_mode(ssl::verify_peer);
  }

  tcp::endpoint Endpoint() const {
    return {asio::ip::make_address("127.0.0.1"), server_->port()};
  }

  // Connects and completes a verified TLS handshake, or returns its error.
  beast::error_code Handshake(beast::ssl_stream<beast::tcp_stream>& stream) {
    beast::get_lowest_layer(stream).connect(Endpoint());
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(20));
    stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    beast::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    return ec;
  }

  // GET / over `stream` (TLS or not); `buffer` keeps what is read beyond the answer.
  template <class Stream>
  static http::response<http::string_body> Get(Stream& stream, beast::flat_buffer& buffer) {
    http::request<http::string_body> req(http::verb::get, "/", 11);
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return res;
  }
  template <class Stream>
  static http::response<http::string_body> Get(Stream& stream) {
    beast::flat_buffer buffer;
    return Get(stream, buffer);
  }

  asio::io_context io_;
  ssl::context client_ctx_{ssl::context::tls_client};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpsServerTest, AnswersOverVerifiedTls) {
  beast::ssl_stream<beast::tcp_stream> stream(io_, client_ctx_);
  ASSERT_FALSE(Handshake(stream));
  auto res = Get(stream);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "secure");
  EXPECT_EQ(res.body(), Get(stream).body());  // keep-alive over the same TLS session
}

TEST_F(HttpsServerTest, RefusesTlsBelow12) {
  ssl::context old_ctx(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(old_ctx.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old_ctx.native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_security_level(old_ctx.native_handle(), 0);
  beast::ssl_stream<beast::tcp_stream> stream(io_, old_ctx);
  EXPECT_TRUE(Handshake(stream));
}

TEST_F(HttpsServerTest, PlainHttpGetsAClearTextRefusal) {
  beast::tcp_stream stream(io_);
  stream.connect(Endpoint());
  beast::flat_buffer buffer;
  auto res = Get(stream, buffer);
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_NE(res.body().find("HTTPS"), std::string::npos) << res.body();
  beast::error_code ec;
  http::read(stream, buffer, res, ec);
  EXPECT_EQ(ec, http::error::end_of_stream);  // and the connection is closed
}

TEST_F(HttpsServerTest, ASilentClientDoesNotBlockOthers) {
  std::vector<std::unique_ptr<tcp::socket>> silent;
  for (int i = 0; i < 4; ++i) {  // more than the server's two I/O threads
    silent.push_back(std::make_unique<tcp::socket>(io_));
    silent.back()->connect(Endpoint());
  }
  beast::ssl_stream<beast::tcp_stream> stream(io_, client_ctx_);
  ASSERT_FALSE(Handshake(stream));
  EXPECT_EQ(Get(stream).body(), "secure");
}

TEST_F(HttpsServerTest, WebSocketRunsOverTls) {
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(io_, client_ctx_);
  ASSERT_FALSE(Handshake(ws.next_layer()));
  beast::get_lowest_layer(ws).expires_never();
  ws.handshake("127.0.0.1", "/exec/x");
  ws.binary(true);
  ws.write(asio::buffer(std::string("hi")));
  beast::flat_buffer buffer;
  ws.read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "echo:hi");
  ws.close(websocket::close_code::normal);
}

}  // namespace
}  // namespace openeci::api
