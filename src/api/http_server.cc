#include "api/http_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>

namespace openeci::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// The request line and headers together; larger: 431 (414 when the request line alone is).
// The SDKs send URLs of several KiB (sdk-wire-contract.md asks for at least 64 KiB).
constexpr uint32_t kHeaderLimit = 128 * 1024;
// A request body (pop-core and the console send every parameter in a form body); larger,
// also when chunked: 413. Nothing larger than this is ever held for one request.
constexpr uint64_t kBodyLimit = 8 * 1024 * 1024;
// How long a kept-alive connection may wait for the first byte of its next request.
constexpr auto kIdleTimeout = std::chrono::seconds(75);
// How much of a request one read takes off the socket (the parser's buffer grows as needed).
constexpr size_t kReadChunk = 16 * 1024;
constexpr uint64_t kWebSocketMessageLimit = 1024 * 1024;
// A TLS client has this long from connecting to the end of its handshake; one that sends
// nothing, or dribbles, holds no more than its own connection (each runs on its own strand).
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kTlsShutdownTimeout = std::chrono::seconds(3);

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The request parser of every connection, with the server's limits.
void ConfigureParser(http::request_parser<http::string_body>& parser) {
  parser.header_limit(kHeaderLimit);
  parser.body_limit(kBodyLimit);
}

// What a failed read means: nullopt when the connection simply ended (nothing to answer),
// otherwise the HTTP status of the refusal: 414 when the request line alone is too long, 431
// when the headers are, 413 when the body is, 400 for anything malformed. The parser keeps the
// bytes of a header it could not finish in `buffer`, from the request line on unless it read
// that line (then the target is set): a request line whose end is not there, or lies beyond
// the limit, is the one too long.
std::optional<int> RefusalStatus(const boost::system::error_code& ec,
                                 const http::request_parser<http::string_body>& parser,
                                 const beast::flat_buffer& buffer) {
  if (ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::operation_aborted || ec == beast::error::timeout ||
      ec == asio::error::connection_reset || ec == ssl::error::stream_truncated) {
    return std::nullopt;
  }
  if (ec == http::error::header_limit) {
    if (!parser.get().target().empty()) return 431;
    const auto unparsed = buffer.cdata();
    std::string_view head(static_cast<const char*>(unparsed.data()), unparsed.size());
    const size_t line_end = head.find('\n');
    return line_end == std::string_view::npos || line_end >= kHeaderLimit ? 414 : 431;
  }
  if (ec == http::error::body_limit) return 413;
  return 400;
}

// A SyncReadStream over bytes in memory, handing out at most `max_read` bytes per read (as a
// socket hands out what has arrived so far); eof once they are used up.
class MemoryReadStream {
 public:
  MemoryReadStream(std::string_view bytes, size_t max_read)
      : rest_(bytes), max_read_(std::max<size_t>(1, max_read)) {}

  template <typename Buffers>
  size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    if (rest_.empty()) {
      ec = asio::error::eof;
      return 0;
    }
    ec = {};
    size_t n = asio::buffer_copy(buffers, asio::buffer(rest_.data(),
                                                       std::min(rest_.size(), max_read_)));
    rest_.remove_prefix(n);
    return n;
  }
  template <typename Buffers>
  size_t read_some(const Buffers& buffers) {
    boost::system::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::string_view rest_;
  const size_t max_read_;
};

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

// One accepted WebSocket connection. The I/O side (ReadLoop, WriteLoop on the WebSocket stream,
// plain or TLS) runs on the connection's strand; the handler thread talks to it through the
// queues below.
class WsSession final : public WebSocketSession,
                        public std::enable_shared_from_this<WsSession> {
 public:
  explicit WsSession(asio::any_io_executor strand) : strand_(strand), wake_(strand) {}

  std::optional<WebSocketMessage> Receive() override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !inbound_.empty() || read_closed_; });
    if (inbound_.empty()) return std::nullopt;
    WebSocketMessage m = std::move(inbound_.front());
    inbound_.pop_front();
    return m;
  }

  bool Send(std::string data) override {
    {
      std::lock_guard lock(mu_);
      if (close_code_ || write_closed_) return false;
      outbound_.push_back(std::move(data));
    }
    Wake();
    return true;
  }

  void Close(uint16_t code, std::string reason) override {
    {
      std::lock_guard lock(mu_);
      if (close_code_ || write_closed_) return;
      close_code_ = code;
      close_reason_ = std::move(reason);
    }
    Wake();
  }

  // Makes Receive return nullopt at once (server shutdown).
  void Abort() {
    std::lock_guard lock(mu_);
    read_closed_ = true;
    cv_.notify_all();
  }

  // Reads client messages into the inbound queue until the connection closes.
  template <class Ws>
  asio::awaitable<void> ReadLoop(Ws& ws) {
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));
      if (ec) break;
      WebSocketMessage m{ws.got_binary(), beast::buffers_to_string(buffer.data())};
      buffer.consume(buffer.size());
      std::lock_guard lock(mu_);
      inbound_.push_back(std::move(m));
      cv_.notify_all();
    }
    {
      std::lock_guard lock(mu_);
      read_closed_ = true;
      write_closed_ = true;
      cv_.notify_all();
    }
    wake_.cancel();
  }

  // Writes queued messages, then the close frame once asked for.
  template <class Ws>
  asio::awaitable<void> WriteLoop(Ws& ws) {
    ws.binary(true);
    for (;;) {
      std::optional<std::string> message;
      std::optional<websocket::close_reason> close;
      {
        std::lock_guard lock(mu_);
        if (write_closed_) break;
        if (!outbound_.empty()) {
          message = std::move(outbound_.front());
          outbound_.pop_front();
        } else if (close_code_) {
          close = websocket::close_reason(static_cast<websocket::close_code>(*close_code_),
                                          close_reason_);
        }
      }
      if (message) {
        auto [ec, n] = co_await ws.async_write(asio::buffer(*message),
                                               asio::as_tuple(asio::use_awaitable));
        if (ec) break;
      } else if (close) {
        co_await ws.async_close(*close, asio::as_tuple(asio::use_awaitable));
        break;
      } else {
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
      }
    }
    std::lock_guard lock(mu_);
    write_closed_ = true;
  }

 private:
  void Wake() {
    asio::post(strand_, [self = shared_from_this()] { self->wake_.cancel(); });
  }

  asio::any_io_executor strand_;
  asio::steady_timer wake_;  // used on the strand only
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WebSocketMessage> inbound_;
  std::deque<std::string> outbound_;
  std::optional<uint16_t> close_code_;
  std::string close_reason_;
  bool read_closed_ = false;
  bool write_closed_ = false;
};

// How a connection's request loop ended: the stream is still ours to close, or a WebSocket
// session took it over (and closed it).
enum class Served { kDone, kHandedOver };

}  // namespace

struct HttpServer::Impl {
  HttpHandler handler;
  HttpErrorRenderer error_renderer;
  asio::io_context io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  uint16_t port = 0;
  std::chrono::seconds request_timeout = HttpServer::kDefaultRequestTimeout;
  int max_connections = HttpServer::kDefaultMaxConnections;
  std::atomic<int> connections{0};  // accepted and not yet ended
  // Accept runs on this strand; `accept_wake` (used on it only) wakes it when a connection ends.
  asio::strand<asio::io_context::executor_type> accept_strand{io.get_executor()};
  asio::steady_timer accept_wake{accept_strand};
  WebSocketHandler ws_handler;
  std::shared_ptr<ssl::context> tls;  // null: plain HTTP
  std::mutex ws_mu;
  std::condition_variable ws_cv;
  std::set<std::shared_ptr<WsSession>> ws_sessions;  // guarded by ws_mu; handler running
  int ws_connections = 0;                            // guarded by ws_mu; accepted, not ended

  // Accepts the upgrade, runs the handler on a thread of its own and serves the connection
  // until both sides are done. `Stream` is beast::tcp_stream or TlsStream.
  template <class Stream>
  asio::awaitable<void> RunWebSocket(Stream stream, const http::request<http::string_body>& req,
                                     WebSocketDecision decision) {
    auto strand = co_await asio::this_coro::executor;
    websocket::stream<Stream> ws(std::move(stream));
    beast::get_lowest_layer(ws).expires_never();
    // An idle shell is fine; a vanished client is not: ping it, drop it when it stops answering.
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.keep_alive_pings = true;
    ws.set_option(timeouts);
    ws.read_message_max(kWebSocketMessageLimit);
    std::string subprotocol = decision.subprotocol;
    ws.set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
      res.set(http::field::server, "OpenECI");
      if (!subprotocol.empty()) res.set(http::field::sec_websocket_protocol, subprotocol);
    }));
    auto [ec] = co_await ws.async_accept(req, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    auto session = std::make_shared<WsSession>(strand);
    {
      std::lock_guard lock(ws_mu);
      if (stopped) co_return;
      ws_sessions.insert(session);
      ++ws_connections;
    }
    std::thread([this, session, run = std::move(decision.run)] {
      run(*session);
      session->Close(static_cast<uint16_t>(websocket::close_code::normal), "");
      std::lock_guard lock(ws_mu);
      ws_sessions.erase(session);
      ws_cv.notify_all();
    }).detach();
    using namespace asio::experimental::awaitable_operators;
    co_await (session->ReadLoop(ws) && session->WriteLoop(ws));
    std::lock_guard lock(ws_mu);
    --ws_connections;
    ws_cv.notify_all();
  }

  // Answers the requests of one connection (plain or TLS) until it closes or becomes a
  // WebSocket. `buffer` may hold bytes already read.
  template <class Stream>
  asio::awaitable<Served> Serve(Stream& stream, beast::flat_buffer& buffer,
                                const std::string& remote) {
    for (;;) {
      http::request_parser<http::string_body> parser;
      ConfigureParser(parser);
      if (buffer.size() == 0) {
        // Idle between requests: wait for the next one to begin.
        beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
        auto [wec, wn] = co_await stream.async_read_some(buffer.prepare(kReadChunk),
                                                         asio::as_tuple(asio::use_awaitable));
        if (wec) break;  // closed, reset or idle too long: nothing to answer
        buffer.commit(wn);
      }
      // Begun: all of it must arrive in time (a client dribbling bytes holds no connection
      // for longer).
      beast::get_lowest_layer(stream).expires_after(request_timeout);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser,
                                               asio::as_tuple(asio::use_awaitable));
      if (ec) {
        std::optional<int> status = RefusalStatus(ec, parser, buffer);
        if (!status) break;
        HttpResponse r = error_renderer(*status, ec.message());
        auto res = ToBeastResponse(r, 11, false);
        co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        break;
      }
      const auto& req = parser.get();
      if (ws_handler && websocket::is_upgrade(req)) {
        WebSocketDecision decision = ws_handler(ToHttpRequest(req, remote));
        if (!decision.refusal && !stopped) {
          co_await RunWebSocket(std::move(stream), req, std::move(decision));
          co_return Served::kHandedOver;
        }
        HttpResponse r = decision.refusal.value_or(error_renderer(503, "shutting down"));
        auto res = ToBeastResponse(r, req.version(), false);
        co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        break;
      }
      bool keep_alive = req.keep_alive();
      HttpResponse r = handler(ToHttpRequest(req, remote));
      auto res = ToBeastResponse(r, req.version(), keep_alive);
      auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      if (wec || !keep_alive) break;
    }
    co_return Served::kDone;
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = stream.socket().remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    boost::system::error_code ignored;
    if (!tls) {
      if (co_await Serve(stream, buffer, remote) == Served::kDone) {
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      }
      co_return;
    }
    stream.expires_after(kHandshakeTimeout);
    auto [dec, is_tls] =
        co_await beast::async_detect_ssl(stream, buffer, asio::as_tuple(asio::use_awaitable));
    if (dec) co_return;
    if (!is_tls) {
      // Most likely http:// to an https:// port: say so in clear text rather than just hang up.
      HttpResponse r = error_renderer(400, "this port serves HTTPS only; use https://");
      auto res = ToBeastResponse(r, 11, false);
      co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    TlsStream tls_stream(std::move(stream), *tls);
    auto [hec, used] = co_await tls_stream.async_handshake(
        ssl::stream_base::server, buffer.data(), asio::as_tuple(asio::use_awaitable));
    if (hec) {
      spdlog::debug("TLS handshake with {} failed: {}", remote, hec.message());
      co_return;
    }
    buffer.consume(used);
    if (co_await Serve(tls_stream, buffer, remote) == Served::kDone) {
      beast::get_lowest_layer(tls_stream).expires_after(kTlsShutdownTimeout);
      co_await tls_stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
    }
  }

  // Called when a connection's coroutine ends (on any thread): lets Accept take the next one.
  void ConnectionEnded() {
    if (connections.fetch_sub(1) >= max_connections) {
      asio::post(accept_strand, [this] { accept_wake.cancel(); });
    }
  }

  // Waits (on the accept strand) while `max_connections` are being served.
  asio::awaitable<void> WaitForAFreeConnection() {
    if (connections.load() < max_connections) co_return;
    spdlog::warn("serving {} connections, the most allowed (OPENECI_HTTP_MAX_CONNECTIONS); "
                 "further ones wait to be accepted", max_connections);
    while (connections.load() >= max_connections && !stopped) {
      // The timeout only guards against a missed wake-up; ConnectionEnded cancels the wait.
      accept_wake.expires_after(std::chrono::seconds(1));
      co_await accept_wake.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      co_await WaitForAFreeConnection();
      auto [ec, socket] = co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (stopped) co_return;
        spdlog::warn("accept failed: {}", ec.message());
        continue;
      }
      socket.set_option(tcp::no_delay(true));
      // One strand per connection: a WebSocket's reader and writer share it.
      ++connections;
      asio::co_spawn(asio::make_strand(io), Session(std::move(socket)),
                     [this](const std::exception_ptr&) { ConnectionEnded(); });
    }
  }
};

std::vector<HttpResponse> ServeBytes(std::string_view bytes, size_t max_read,
                                     const HttpHandler& handler,
                                     const HttpErrorRenderer& error_renderer) {
  std::vector<HttpResponse> answers;
  MemoryReadStream stream(bytes, max_read);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    ConfigureParser(parser);
    boost::system::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) {
      std::optional<int> status = RefusalStatus(ec, parser, buffer);
      if (status) answers.push_back(error_renderer(*status, ec.message()));
      break;
    }
    const auto& req = parser.get();
    bool keep_alive = req.keep_alive();
    answers.push_back(handler(ToHttpRequest(req, "127.0.0.1")));
    // What the connection would write: the answer must be renderable.
    ToBeastResponse(answers.back(), req.version(), keep_alive);
    if (!keep_alive) break;
  }
  return answers;
}

HttpServer::HttpServer(HttpHandler handler, HttpErrorRenderer error_renderer)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->error_renderer = std::move(error_renderer);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::SetWebSocketHandler(WebSocketHandler handler) {
  impl_->ws_handler = std::move(handler);
}

void HttpServer::SetTls(std::shared_ptr<ssl::context> context) { impl_->tls = std::move(context); }

void HttpServer::SetRequestTimeout(std::chrono::seconds timeout) {
  impl_->request_timeout = std::max(timeout, std::chrono::seconds(1));
}

void HttpServer::SetMaxConnections(int max_connections) {
  impl_->max_connections = std::max(max_connections, 1);
}

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
  asio::co_spawn(impl_->accept_strand, impl_->Accept(), asio::detached);
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
  {
    // WebSocket handlers run on their own threads and use the I/O threads: end them first.
    std::unique_lock lock(impl_->ws_mu);
    for (const auto& session : impl_->ws_sessions) {
      session->Close(static_cast<uint16_t>(websocket::close_code::going_away),
                     "server shutting down");
      session->Abort();
    }
    impl_->ws_cv.wait(lock, [&] { return impl_->ws_sessions.empty(); });
    // Give the close handshakes a moment to finish, so that clients see the close frame.
    impl_->ws_cv.wait_for(lock, std::chrono::seconds(3),
                          [&] { return impl_->ws_connections == 0; });
  }
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

uint16_t HttpServer::port() const { return impl_->port; }

}  // namespace openeci::api
