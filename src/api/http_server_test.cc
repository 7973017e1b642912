#include "api/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <thread>

namespace openeci::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// A server answering every plain request 200 "plain" and every refusal with its reason.
std::unique_ptr<HttpServer> PlainServer() {
  return std::make_unique<HttpServer>(
      [](const HttpRequest&) { return HttpResponse{200, "text/plain", "plain", {}}; },
      [](int status, const std::string& reason) {
        return HttpResponse{status, "text/plain", reason, {}};
      });
}

class HttpServerWebSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = PlainServer();
    // /echo: sends every message back with a prefix, then closes when told "bye".
    server_->SetWebSocketHandler([](const HttpRequest& r) {
      WebSocketDecision d;
      if (r.target != "/echo") {
        d.refusal = HttpResponse{401, "application/json", R"({"Code":"Nope"})", {}};
        return d;
      }
      d.run = [](WebSocketSession& s) {
        while (auto m = s.Receive()) {
          if (m->data == "bye") {
            s.Close(1000, "done");
            continue;
          }
          s.Send("echo:" + m->data);
        }
      };
      return d;
    });
    ASSERT_TRUE(server_->Start("127.0.0.1:0", 2).ok());
  }

  void Connect(websocket::stream<tcp::socket>& ws, const std::string& path) {
    ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    ws.handshake("127.0.0.1", path);
  }

  asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerWebSocketTest, BridgesMessagesBothWaysAndClosesFromTheServer) {
  websocket::stream<tcp::socket> ws(io_);
  Connect(ws, "/echo");
  ws.binary(true);
  ws.write(asio::buffer(std::string("\x01hello", 6)));
  beast::flat_buffer buffer;
  ws.read(buffer);
  EXPECT_TRUE(ws.got_binary());
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), std::string("echo:\x01hello", 11));
  ws.write(asio::buffer(std::string("bye")));
  buffer.consume(buffer.size());
  beast::error_code ec;
  ws.read(buffer, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws.reason().code, 1000);
  EXPECT_EQ(std::string(ws.reason().reason.c_str()), "done");
}

TEST_F(HttpServerWebSocketTest, RefusedUpgradeGetsTheHandlersAnswer) {
  websocket::stream<tcp::socket> ws(io_);
  ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  websocket::response_type res;
  beast::error_code ec;
  ws.handshake(res, "127.0.0.1", "/other", ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(res.result_int(), 401);
  EXPECT_EQ(res.body(), R"({"Code":"Nope"})");
}

TEST_F(HttpServerWebSocketTest, StopEndsOpenSessions) {
  websocket::stream<tcp::socket> ws(io_);
  Connect(ws, "/echo");
  beast::flat_buffer buffer;
  ws.write(asio::buffer(std::string("ping")));
  ws.read(buffer);  // the handler runs
  std::thread stopper([&] { server_->Stop(); });  // returns once the handler has returned
  buffer.consume(buffer.size());
  beast::error_code ec;
  ws.read(buffer, ec);
  stopper.join();
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws.reason().code, 1001);
}

// The request timeout: a begun request must arrive in time; an idle connection is not held to it.
class HttpServerTimeoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = PlainServer();
    server_->SetRequestTimeout(std::chrono::seconds(1));
    ASSERT_TRUE(server_->Start("127.0.0.1:0", 1).ok());
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  }

  // Seconds until the server closes the connection (reading whatever it sends), at most `limit`.
  double SecondsUntilClosed(std::chrono::seconds limit) {
    const auto started = std::chrono::steady_clock::now();
    socket_.non_blocking(true);
    char buf[256];
    while (std::chrono::steady_clock::now() - started < limit) {
      boost::system::error_code ec;
      socket_.read_some(asio::buffer(buf), ec);
      if (ec && ec != asio::error::would_block) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }

  asio::io_context io_;
  tcp::socket socket_{io_};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTimeoutTest, DropsARequestThatDoesNotArriveInTime) {
  asio::write(socket_, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: a")));
  EXPECT_LT(SecondsUntilClosed(std::chrono::seconds(10)), 5);
}

TEST_F(HttpServerTimeoutTest, KeepsAnIdleConnectionLongerAndServesItsNextRequest) {
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  asio::write(socket_, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> res;
  beast::http::read(socket_, buffer, res);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "plain");
}

// The connection limit: a connection beyond it waits to be accepted until one ends.
TEST(HttpServerConnectionLimitTest, ServesAConnectionBeyondTheLimitOnceAnotherEnds) {
  auto server = PlainServer();
  server->SetMaxConnections(2);
  ASSERT_TRUE(server->Start("127.0.0.1:0", 2).ok());
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), server->port());
  asio::io_context io;
  auto get = [&](tcp::socket& socket) {
    asio::write(socket, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> res;
    beast::http::read(socket, buffer, res);
    return res.result_int();
  };
  tcp::socket first(io), second(io), third(io);
  first.connect(endpoint);
  second.connect(endpoint);
  EXPECT_EQ(get(first), 200);  // both kept alive: the limit is reached
  EXPECT_EQ(get(second), 200);

  // The kernel completes the third handshake, but the server does not take it yet.
  third.connect(endpoint);
  asio::write(third, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  third.non_blocking(true);
  char byte;
  boost::system::error_code ec;
  third.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::would_block) << "answered beyond the limit";

  first.close();  // one ends: the third is accepted and answered
  third.non_blocking(false);
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> res;
  beast::http::read(third, buffer, res);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(get(second), 200);
}

// ServeBytes: the connection's parser and refusals without a network (the fuzzing entry point).
class ServeBytesTest : public ::testing::Test {
 protected:
  std::vector<HttpResponse> Serve(std::string_view bytes, size_t max_read = SIZE_MAX) {
    return ServeBytes(
        bytes, max_read,
        [this](const HttpRequest& r) {
          seen_.push_back(r);
          return HttpResponse{200, "text/plain", r.method + " " + r.target, {}};
        },
        [](int status, const std::string& reason) {
          return HttpResponse{status, "text/plain", reason, {}};
        });
  }
  std::vector<HttpRequest> seen_;
};

TEST_F(ServeBytesTest, AnswersPipelinedKeepAliveRequestsInOrder) {
  auto answers = Serve("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].body, "GET /a");
  EXPECT_EQ(answers[1].body, "GET /b");
}

TEST_F(ServeBytesTest, StopsAfterConnectionClose) {
  auto answers = Serve("GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].body, "GET /a");
}

TEST_F(ServeBytesTest, ReadsAChunkedBodyHandedOutByteByByte) {
  auto answers = Serve(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-Twice: a\r\nx-twice: b\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
      1);
  ASSERT_EQ(answers.size(), 1u);
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].body, "abcde");
  EXPECT_EQ(seen_[0].headers.at("x-twice"), "a,b");
}

TEST_F(ServeBytesTest, RefusesOversizedHeadersAndBodiesAndMalformedRequests) {
  std::string big_header = "GET / HTTP/1.1\r\nX-Big: " + std::string(129 * 1024, 'a') + "\r\n\r\n";
  auto answers = Serve(big_header);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, 431);
  for (size_t max_read : {size_t{4096}, SIZE_MAX}) {
    answers = Serve("GET /?a=" + std::string(129 * 1024, 'a') + " HTTP/1.1\r\n\r\n", max_read);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].status, 414) << "reads of " << max_read;
    answers = Serve(big_header, max_read);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].status, 431) << "reads of " << max_read;
  }
  answers = Serve("POST / HTTP/1.1\r\nContent-Length: 9000000\r\n\r\n");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, 413);
  answers = Serve("GET / HTTP/1.1\r\nHost h\r\n\r\n");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, 400);
  EXPECT_TRUE(seen_.empty());
}

// A fuzz finding: Beast 1.81 asserted (wrongly) when the bytes after a chunked body's last
// chunk line reached the parser a few at a time; a Debug build aborted. Every split is read.
TEST_F(ServeBytesTest, AChunkedBodyEndsWhateverPiecesItsLastChunkArrivesIn) {
  const std::string head =
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n";
  for (const std::string tail : {"0\r\n\r\n", "0\r\nX-Trailer: t\r\n\r\n"}) {
    for (size_t max_read : {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{7}}) {
      seen_.clear();
      auto answers = Serve(head + tail, max_read);
      ASSERT_EQ(answers.size(), 1u) << tail << " in reads of " << max_read;
      ASSERT_EQ(seen_.size(), 1u);
      EXPECT_EQ(seen_[0].body, "abc");
    }
  }
}

TEST_F(ServeBytesTest, AnEmptyConnectionGetsNoAnswer) { EXPECT_TRUE(Serve("").empty()); }

}  // namespace
}  // namespace openeci::api
