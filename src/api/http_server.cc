#include "api/http_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace openeci::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr uint32_t kHeaderLimit = 128 * 1024;
constexpr uint64_t kBodyLimit = 8 * 1024 * 1024;
constexpr auto kIdleTimeout = std::chrono::seconds(75);

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

HttpRequest ToHttpRequest(const http::request<http::string_body>& req, const std::string& remote) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  for (const auto& field : req) {
    std::string name = Lower(field.name_string());
    auto [it, inserted] = out.headers.emplace(name, std::string(field.value()));
    if (!inserted) it->second += "," + std::string(field.value());
  }
  out.body = req.body();
  out.remote_address = remote;
  return out;
}

http::response<http::string_body> ToBeastResponse(const HttpResponse& r, unsigned version,
                                                  bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "OpenECI");
  res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

}  // namespace

struct HttpServer::Impl {
  HttpHandler handler;
  HttpErrorRenderer error_renderer;
  asio::io_context io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  uint16_t port = 0;

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = stream.socket().remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(kHeaderLimit);
      parser.body_limit(kBodyLimit);
      stream.expires_after(kIdleTimeout);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser,
                                               asio::as_tuple(asio::use_awaitable));
      if (ec == http::error::end_of_stream || ec == asio::error::eof ||
          ec == asio::error::operation_aborted || ec == beast::error::timeout ||
          ec == asio::error::connection_reset) {
        break;
      }
      if (ec) {
        int status = 400;
        if (ec == http::error::header_limit) status = 431;
        if (ec == http::error::body_limit) status = 413;
        HttpResponse r = error_renderer(status, ec.message());
        auto res = ToBeastResponse(r, 11, false);
        co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        break;
      }
      const auto& req = parser.get();
      bool keep_alive = req.keep_alive();
      HttpResponse r = handler(ToHttpRequest(req, remote));
      auto res = ToBeastResponse(r, req.version(), keep_alive);
      auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      if (wec || !keep_alive) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (stopped) co_return;
        spdlog::warn("accept failed: {}", ec.message());
        continue;
      }
      socket.set_option(tcp::no_delay(true));
      asio::co_spawn(io, Session(std::move(socket)), asio::detached);
    }
  }
};

HttpServer::HttpServer(HttpHandler handler, HttpErrorRenderer error_renderer)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->error_renderer = std::move(error_renderer);
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start(const std::string& address, int threads) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return InvalidParameter("listen address needs host:port");
  std::string host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = std::atoi(address.substr(colon + 1).c_str());
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec) return InvalidParameter("bad listen address \"" + address + "\": " + ec.message());
  try {
    tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));
    impl_->acceptor = std::make_unique<tcp::acceptor>(impl_->io);
    impl_->acceptor->open(endpoint.protocol());
    impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor->bind(endpoint);
    impl_->acceptor->listen(asio::socket_base::max_listen_connections);
    impl_->port = impl_->acceptor->local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    return UnavailableError("cannot listen on " + address + ": " + e.what());
  }
  asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  for (int i = 0; i < std::max(1, threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
  return Status::Ok();
}

void HttpServer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  if (impl_->acceptor) {
    boost::system::error_code ec;
    impl_->acceptor->close(ec);
  }
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

uint16_t HttpServer::port() const { return impl_->port; }

}  // namespace openeci::api
