#include "cli/exec_session.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <deque>
#include <optional>
#include <thread>

#include "cli/cli_error.h"
#include "cli/tls_client.h"

namespace openeci::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;

constexpr char kSubprotocol[] = "v4.channel.k8s.io";
constexpr unsigned char kStdin = 0, kStdout = 1, kStderr = 2, kStatus = 3, kResize = 4;

// Puts the terminal on `fd` in raw mode for its lifetime; restores it when destroyed.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd_, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

struct Endpoint {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;
};

Endpoint ParseUri(const std::string& uri) {
  Endpoint e;
  e.tls = uri.rfind("wss://", 0) == 0;
  if (!e.tls && uri.rfind("ws://", 0) != 0) {
    throw CliError(ExitCode::kConnectionError, "",
                   "the WebSocketUri " + uri + " is neither ws:// nor wss://");
  }
  std::string rest = uri.substr(e.tls ? 6 : 5);
  const size_t slash = rest.find('/');
  e.target = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string host_port = rest.substr(0, slash);
  const size_t colon = host_port.rfind(':');
  e.host = colon == std::string::npos ? host_port : host_port.substr(0, colon);
  e.port = colon == std::string::npos ? (e.tls ? "443" : "80") : host_port.substr(colon + 1);
  return e;
}

// The refusal of the upgrade as the API error it carries ({"Code":..., "Message":...}).
CliError Refused(const websocket::response_type& res) {
  boost::system::error_code ec;
  json::value body = json::parse(res.body(), ec);
  std::string code = "HTTP" + std::to_string(res.result_int());
  std::string message = "the exec endpoint refused the connection";
  std::string request_id;
  if (!ec && body.is_object()) {
    const json::object& o = body.as_object();
    if (auto* c = o.if_contains("Code"); c && c->is_string()) code = std::string(c->as_string());
    if (auto* m = o.if_contains("Message"); m && m->is_string()) {
      message = std::string(m->as_string());
    }
    if (auto* r = o.if_contains("RequestId"); r && r->is_string()) {
      request_id = std::string(r->as_string());
    }
  }
  return CliError(ExitCode::kApiError, code, message, request_id,
                  code == "InvalidExecToken" ? "exec URIs work once and expire quickly; run "
                                               "`eci exec` again"
                                             : "");
}

// `NextLayer`: beast::tcp_stream (ws://) or TlsStream (wss://); `layer_args` what it needs
// besides the io_context (the TLS context).
template <class NextLayer>
class Session {
 public:
  template <class... LayerArgs>
  explicit Session(const ExecSessionOptions& options, LayerArgs&... layer_args)
      : options_(options), ws_(io_, layer_args...), signals_(io_) {}
  ~Session() { StopStdinReader(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  int Run(const std::string& uri) {
    Connect(ParseUri(uri));
    std::optional<RawTerminal> raw;
    if (options_.tty && ::isatty(STDIN_FILENO)) raw.emplace(STDIN_FILENO);
    if (options_.tty) SendSize();
    WatchSignals();
    Read();
    if (options_.stdin) StartStdinReader();
    io_.run();
    StopStdinReader();
    raw.reset();
    if (signal_ != 0) return 128 + signal_;
    if (!exit_code_) {
      throw CliError(ExitCode::kConnectionError, "",
                     "the exec connection ended without the command's exit status" +
                         (close_reason_.empty() ? "" : " (" + close_reason_ + ")"));
    }
    if (!exit_message_.empty()) {
      throw CliError(ExitCode::kApiError, "ExecFailed", exit_message_);
    }
    return *exit_code_;
  }

 private:
  void Connect(const Endpoint& e) {
    try {
      asio::ip::tcp::resolver resolver(io_);
      beast::get_lowest_layer(ws_).connect(resolver.resolve(e.host, e.port));
      if constexpr (std::is_same_v<NextLayer, TlsStream>) {
        PrepareTlsClient(ws_.next_layer(), e.host);
        ws_.next_layer().handshake(asio::ssl::stream_base::client);
      }
      ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
        req.set(http::field::sec_websocket_protocol, kSubprotocol);
        req.set(http::field::user_agent, "openeci-cli/1.0");
      }));
      websocket::response_type res;
      beast::error_code ec;
      ws_.handshake(res, e.host + ":" + e.port, e.target, ec);
      if (ec == websocket::error::upgrade_declined) throw Refused(res);
      if (ec) throw boost::system::system_error(ec);
      ws_.binary(true);
    } catch (const boost::system::system_error& err) {
      throw CliError(ExitCode::kConnectionError, "",
                     "cannot connect to the exec endpoint " + e.host + ":" + e.port + ": " +
                         err.code().message());
    }
  }

  void Send(unsigned char channel, std::string_view payload) {
    std::string frame(1, static_cast<char>(channel));
    frame.append(payload);
    outbox_.push_back(std::move(frame));
    if (outbox_.size() == 1) WriteNext();
  }

  void WriteNext() {
    if (outbox_.empty() || closing_) return;
    ws_.async_write(asio::buffer(outbox_.front()), [this](beast::error_code ec, size_t) {
      if (ec) return;  // the read side reports the end
      outbox_.pop_front();
      WriteNext();
    });
  }

  void SendSize() {
    winsize ws{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) {
      if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return;
    }
    Send(kResize, json::serialize(json::object{{"Width", ws.ws_col}, {"Height", ws.ws_row}}));
  }

  void WatchSignals() {
    signals_.add(SIGWINCH);
    signals_.add(SIGTERM);
    signals_.add(SIGHUP);
    signals_.add(SIGINT);
    signals_.async_wait([this](beast::error_code ec, int sig) { OnSignal(ec, sig); });
  }

  void OnSignal(beast::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGWINCH) {
      if (options_.tty) SendSize();
      signals_.async_wait([this](beast::error_code e, int s) { OnSignal(e, s); });
      return;
    }
    signal_ = sig;
    Finish();
  }

  void Read() {
    ws_.async_read(inbox_, [this](beast::error_code ec, size_t) {
      if (ec) {
        if (ec == websocket::error::closed) {
          const auto& reason = ws_.reason().reason;
          close_reason_ = "closed with code " + std::to_string(ws_.reason().code) +
                          (reason.empty() ? "" : ": " + std::string(reason.data(), reason.size()));
        } else if (!exit_code_) {
          close_reason_ = ec.message();
        }
        Finish();
        return;
      }
      OnFrame(beast::buffers_to_string(inbox_.data()));
      inbox_.consume(inbox_.size());
      Read();
    });
  }

  void OnFrame(const std::string& frame) {
    if (frame.empty()) return;
    const auto channel = static_cast<unsigned char>(frame[0]);
    const char* data = frame.data() + 1;
    const size_t size = frame.size() - 1;
    if (channel == kStdout) {
      WriteAll(STDOUT_FILENO, data, size);
    } else if (channel == kStderr) {
      WriteAll(STDERR_FILENO, data, size);
    } else if (channel == kStatus) {
      boost::system::error_code ec;
      json::value status = json::parse(std::string_view(data, size), ec);
      exit_code_ = 255;
      if (!ec && status.is_object()) {
        if (auto* c = status.as_object().if_contains("ExitCode"); c && c->is_int64()) {
          exit_code_ = static_cast<int>(c->as_int64());
        }
        if (auto* m = status.as_object().if_contains("Message"); m && m->is_string()) {
          exit_message_ = std::string(m->as_string());
        }
      }
    }
  }

  void Finish() {
    if (closing_) return;
    closing_ = true;
    signals_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
    io_.stop();
  }

  // A thread that reads stdin (blocking, so it works for terminals, pipes and files alike) and
  // posts each chunk to the Asio thread; stop_pipe_ wakes it up to end.
  void StartStdinReader() {
    if (::pipe(stop_pipe_) != 0) return;
    stdin_thread_ = std::thread([this] {
      char buf[4096];
      while (true) {
        pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
          if (errno == EINTR) continue;
          return;
        }
        if (fds[1].revents != 0) return;
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // end of input: nothing more to send (see README, no half-close)
        std::string chunk(buf, static_cast<size_t>(n));
        asio::post(io_, [this, chunk = std::move(chunk)] { Send(kStdin, chunk); });
      }
    });
  }

  void StopStdinReader() {
    if (!stdin_thread_.joinable()) return;
    const char byte = 0;
    WriteAll(stop_pipe_[1], &byte, 1);
    stdin_thread_.join();
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
  }

  const ExecSessionOptions options_;
  asio::io_context io_;
  websocket::stream<NextLayer> ws_;
  asio::signal_set signals_;
  beast::flat_buffer inbox_;
  std::deque<std::string> outbox_;
  bool closing_ = false;
  std::optional<int> exit_code_;
  std::string exit_message_;
  std::string close_reason_;
  int signal_ = 0;
  std::thread stdin_thread_;
  int stop_pipe_[2] = {-1, -1};
};

}  // namespace

int RunExecSession(const std::string& websocket_uri, const ExecSessionOptions& options) {
  if (ParseUri(websocket_uri).tls) {
    std::shared_ptr<asio::ssl::context> tls = MakeClientTlsContext(options.ca_file);
    Session<TlsStream> session(options, *tls);
    return session.Run(websocket_uri);
  }
  Session<beast::tcp_stream> session(options);
  return session.Run(websocket_uri);
}

}  // namespace openeci::cli
