// HttpServer: HTTP/1.1 keep-alive server on Boost.Beast/Asio (C++20 coroutines). It parses
// requests with generous but bounded limits (request line + headers up to 128 KiB, bodies up to
// 8 MiB, chunked bodies included), hands each one to a synchronous handler and writes the
// answer. Thread-safe: Start/Stop from one thread; the handler is called concurrently from the
// server's I/O threads and must be thread-safe itself.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

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

class HttpServer {
 public:
  HttpServer(HttpHandler handler, HttpErrorRenderer error_renderer);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `address` ("127.0.0.1:18080"; port 0 picks a free one) and starts `threads` I/O
  // threads.
  Status Start(const std::string& address, int threads);
  // Stops accepting, closes connections and joins the threads. Idempotent.
  void Stop();
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace openeci::api
