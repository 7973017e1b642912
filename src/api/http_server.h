// HttpServer: HTTP/1.1 keep-alive server on Boost.Beast/Asio (C++20 coroutines). It parses
// requests with generous but bounded limits and hands each one to a synchronous handler:
//   - request line + headers up to 128 KiB, else 431 (414 when the request line alone is longer);
//   - bodies up to 8 MiB, chunked bodies included, else 413;
//   - a begun request must arrive within the request timeout, else the connection is dropped;
//     an idle keep-alive connection is kept 75 s;
//   - at most `max connections` are served at once (WebSockets included); further ones wait in
//     the kernel's listen queue until one ends, so what all connections may hold is bounded too.
// WebSocket upgrades go to an optional WebSocketHandler. With SetTls it serves HTTPS (and
// wss://) instead of plain HTTP on the same port (see api/tls.h). Thread-safe: Start/Stop from
// one thread; the handlers are called concurrently from the server's I/O threads and must be
// thread-safe themselves.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"

namespace boost::asio::ssl {
class context;
}

namespace openeci::api {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // "/?Action=..."
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string remote_address;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json;charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Called for requests the parser refused (too large, malformed): status and a reason.
using HttpErrorRenderer = std::function<HttpResponse(int status, const std::string& reason)>;

struct WebSocketMessage {
  bool binary = true;
  std::string data;
};

// The server's side of one accepted WebSocket connection. The server reads and writes it on its
// I/O threads; the handler uses it through this blocking interface from a thread of its own.
// Thread-safe: Receive from one thread, Send and Close from any.
class WebSocketSession {
 public:
  virtual ~WebSocketSession() = default;
  // Blocks for the client's next message; nullopt once the connection is closed (by either
  // side) or broken.
  virtual std::optional<WebSocketMessage> Receive() = 0;
  // Queues a binary message; false once the connection is closing or closed.
  virtual bool Send(std::string data) = 0;
  // Sends a close frame (RFC 6455 `code`, `reason`) after the queued messages. Idempotent.
  virtual void Close(uint16_t code, std::string reason) = 0;
};

// What the WebSocket handler decides about an upgrade request: refuse it with `refusal` (sent
// as an ordinary HTTP answer), or accept it and call `run` on a dedicated thread.
struct WebSocketDecision {
  std::optional<HttpResponse> refusal;
  std::string subprotocol;  // echoed in Sec-WebSocket-Protocol when not empty
  std::function<void(WebSocketSession&)> run;
};

// Called on an I/O thread for every WebSocket upgrade request; must not block.
using WebSocketHandler = std::function<WebSocketDecision(const HttpRequest&)>;

// Serves the requests in `bytes` as one connection carrying them is served: the same parser
// and limits, the same refusals (via `error_renderer`), keep-alive honoured, the reads handing
// out at most `max_read` bytes at a time. Returns the answers in order, with the refusal the
// server would send for a request cut short. No network and no WebSocket (an upgrade request
// goes to `handler`): an in-memory entry point for fuzzing (fuzz/http_request.cc) and tests.
std::vector<HttpResponse> ServeBytes(std::string_view bytes, size_t max_read,
                                     const HttpHandler& handler,
                                     const HttpErrorRenderer& error_renderer);

class HttpServer {
 public:
  HttpServer(HttpHandler handler, HttpErrorRenderer error_renderer);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes WebSocket upgrade requests to `handler` (without one they go to the HTTP handler).
  // Call before Start.
  void SetWebSocketHandler(WebSocketHandler handler);

  // Serves TLS with `context` (from LoadServerTls): every connection must complete a TLS
  // handshake within a few seconds; a plain HTTP request gets a 400 answer in clear text and
  // the connection is closed. Call before Start.
  void SetTls(std::shared_ptr<boost::asio::ssl::context> context);

  static constexpr std::chrono::seconds kDefaultRequestTimeout{60};
  // How long a client has from the first byte of a request to its last (at least 1 s). Call
  // before Start.
  void SetRequestTimeout(std::chrono::seconds timeout);

  static constexpr int kDefaultMaxConnections = 512;
  // How many connections are served at once (at least 1); a connection beyond waits to be
  // accepted until one ends. Call before Start.
  void SetMaxConnections(int max_connections);

  // Binds `address` ("127.0.0.1:18080"; port 0 picks a free one) and starts `threads` I/O
  // threads.
  Status Start(const std::string& address, int threads);
  // Stops accepting, closes WebSocket sessions and waits for their handlers to return, closes
  // connections and joins the threads. Idempotent.
  void Stop();
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace openeci::api
