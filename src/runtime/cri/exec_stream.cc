#include "runtime/cri/exec_stream.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

namespace openeci::runtime {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

constexpr const char* kSubprotocol = "v4.channel.k8s.io";
constexpr std::chrono::seconds kHandshakeTimeout(10);
constexpr std::chrono::seconds kCloseTimeout(2);

}  // namespace

struct ExecStreamClient::Impl {
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  websocket::stream<beast::tcp_stream> ws{ioc};
  std::thread thread;
  std::once_flag close_once;

  // Touched only on the I/O thread.
  beast::flat_buffer buffer;
  bool writing = false;        // an async_write is outstanding
  bool close_pending = false;  // Close came while writing: close once the write is done

  std::mutex send_mu;  // one Send at a time (Beast allows one outstanding write)

  std::mutex mu;
  std::condition_variable cv;
  std::deque<Frame> frames;   // guarded by mu
  std::optional<Status> end;  // guarded by mu; set once reading has stopped
  bool closed = false;        // guarded by mu; Close was called
  int sends_in_flight = 0;    // guarded by mu

  ~Impl() { Shutdown(); }

  // I/O thread: read messages until the stream ends.
  void StartReading() {
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        // The server's close frame may arrive just before it drops the connection, so the
        // read can end in a socket error after an orderly close.
        if (ec == websocket::error::closed || ec == net::error::eof ||
            ws.reason().code != websocket::close_code::none) {
          const std::string reason(ws.reason().reason.c_str());
          Finish(UnavailableError("exec stream closed" + (reason.empty() ? "" : ": " + reason)));
        } else {
          Finish(UnavailableError("exec stream failed: " + ec.message()));
        }
        return;
      }
      std::string message = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      if (message.size() > 1) {
        std::lock_guard<std::mutex> lock(mu);
        frames.push_back({static_cast<unsigned char>(message[0]), message.substr(1)});
        cv.notify_all();
      }
      StartReading();
    });
  }

  void Finish(Status status) {
    std::lock_guard<std::mutex> lock(mu);
    if (!end.has_value()) {
      end = closed ? UnavailableError("exec stream closed by client") : std::move(status);
    }
    cv.notify_all();
  }

  // I/O thread.
  void StartClose() {
    ws.async_close(websocket::close_code::normal, [](beast::error_code) {});
  }

  // Polite close, then the socket; joins the I/O thread. Runs once.
  void Shutdown() {
    std::call_once(close_once, [this] {
      if (!thread.joinable()) {
        return;
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        closed = true;
      }
      net::post(ioc, [this] {
        if (!ws.is_open()) {
          return;
        }
        if (writing) {
          close_pending = true;
        } else {
          StartClose();
        }
      });
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, kCloseTimeout, [this] { return end.has_value(); });
      lock.unlock();
      // Whatever is still pending (a read, a write the server does not take) ends now.
      net::post(ioc, [this] {
        beast::error_code ignored;
        beast::get_lowest_layer(ws).socket().close(ignored);
      });
      lock.lock();
      cv.wait(lock, [this] { return sends_in_flight == 0; });
      lock.unlock();
      work.reset();
      thread.join();
      Finish(UnavailableError("exec stream closed by client"));
    });
  }
};

ExecStreamClient::ExecStreamClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ExecStreamClient::~ExecStreamClient() { Close(); }

StatusOr<std::unique_ptr<ExecStreamClient>> ExecStreamClient::Connect(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return InvalidParameter("exec stream URL \"" + url + "\": " + parsed.error().message());
  }
  const std::string scheme(parsed->scheme());
  if (scheme != "http" && scheme != "ws") {
    return InvalidParameter("exec stream URL \"" + url + "\": only http:// and ws:// are supported");
  }
  const std::string host = parsed->host_address();
  const std::string port = parsed->has_port() ? std::string(parsed->port()) : "80";
  std::string target(parsed->encoded_target());
  if (target.empty()) {
    target = "/";
  }
  const std::string host_header = std::string(parsed->encoded_host_and_port());

  auto impl = std::make_unique<Impl>();
  Impl* p = impl.get();
  beast::error_code ec;
  tcp::resolver resolver(p->ioc);
  const tcp::resolver::results_type endpoints = resolver.resolve(host, port, ec);
  if (ec) {
    return UnavailableError("exec stream " + url + ": cannot resolve " + host + ": " +
                            ec.message());
  }
  p->thread = std::thread([p] { p->ioc.run(); });

  auto response = std::make_shared<websocket::response_type>();
  auto ready = std::make_shared<std::promise<beast::error_code>>();
  net::post(p->ioc, [p, endpoints, response, ready, host_header, target] {
    beast::get_lowest_layer(p->ws).expires_after(kHandshakeTimeout);
    beast::get_lowest_layer(p->ws).async_connect(
        endpoints,
        [p, response, ready, host_header, target](beast::error_code ec, const tcp::endpoint&) {
          if (ec) {
            ready->set_value(ec);
            return;
          }
          beast::get_lowest_layer(p->ws).expires_never();
          p->ws.set_option(websocket::stream_base::timeout{
              kHandshakeTimeout, websocket::stream_base::none(), false});
          p->ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
            req.set(http::field::sec_websocket_protocol, kSubprotocol);
          }));
          p->ws.async_handshake(*response, host_header, target,
                                [p, ready](beast::error_code ec) {
                                  if (!ec) {
                                    p->ws.binary(true);
                                    // From now on the timeout bounds only the close handshake.
                                    p->ws.set_option(websocket::stream_base::timeout{
                                        kCloseTimeout, websocket::stream_base::none(), false});
                                  }
                                  ready->set_value(ec);
                                });
        });
  });
  ec = ready->get_future().get();
  Status failed;
  if (ec) {
    std::string detail = ec.message();
    if (response->result_int() != 0) {
      detail += " (HTTP " + std::to_string(response->result_int()) + " " + response->body() + ")";
    }
    failed = UnavailableError("exec stream " + url + ": " + detail);
  } else if (const auto protocol = (*response)[http::field::sec_websocket_protocol];
             protocol != kSubprotocol) {
    failed = UnavailableError("exec stream " + url + ": the server did not accept subprotocol " +
                              kSubprotocol + " (answered \"" + std::string(protocol) + "\")");
  }
  if (!failed.ok()) {
    p->Finish(failed);  // nothing to wait for when impl is torn down
    return failed;
  }
  net::post(p->ioc, [p] { p->StartReading(); });
  return std::unique_ptr<ExecStreamClient>(new ExecStreamClient(std::move(impl)));
}

Status ExecStreamClient::Send(int channel, std::string_view data) {
  if (channel < 0 || channel > 255) {
    return InvalidParameter("exec stream channel " + std::to_string(channel) +
                            " is not in 0..255");
  }
  Impl* p = impl_.get();
  std::lock_guard<std::mutex> send_lock(p->send_mu);
  {
    std::lock_guard<std::mutex> lock(p->mu);
    if (p->closed) {
      return UnavailableError("exec stream closed by client");
    }
    ++p->sends_in_flight;
  }
  auto message = std::make_shared<std::string>();
  message->reserve(data.size() + 1);
  message->push_back(static_cast<char>(channel));
  message->append(data);
  auto done = std::make_shared<std::promise<beast::error_code>>();
  net::post(p->ioc, [p, message, done] {
    p->writing = true;
    p->ws.async_write(net::buffer(*message),
                      [p, message, done](beast::error_code ec, std::size_t) {
                        p->writing = false;
                        if (p->close_pending) {
                          p->close_pending = false;
                          p->StartClose();
                        }
                        done->set_value(ec);
                      });
  });
  const beast::error_code ec = done->get_future().get();
  {
    std::lock_guard<std::mutex> lock(p->mu);
    --p->sends_in_flight;
    p->cv.notify_all();
  }
  if (ec) {
    return UnavailableError("exec stream write failed: " + ec.message());
  }
  return Status::Ok();
}

Status ExecStreamClient::Resize(int width, int height) {
  if (width < 0 || width > 65535 || height < 0 || height > 65535) {
    return InvalidParameter("terminal size " + std::to_string(width) + "x" +
                            std::to_string(height) + " is out of range");
  }
  return Send(kResize, "{\"Width\":" + std::to_string(width) +
                           ",\"Height\":" + std::to_string(height) + "}");
}

StatusOr<ExecStreamClient::Frame> ExecStreamClient::Read() {
  Impl* p = impl_.get();
  std::unique_lock<std::mutex> lock(p->mu);
  p->cv.wait(lock, [p] { return !p->frames.empty() || p->end.has_value(); });
  if (!p->frames.empty()) {
    Frame frame = std::move(p->frames.front());
    p->frames.pop_front();
    return frame;
  }
  return *p->end;
}

void ExecStreamClient::Close() { impl_->Shutdown(); }

StatusOr<int> ExecStreamClient::ExitCodeOf(std::string_view status_json) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(status_json, ec);
  if (ec || !v.is_object()) {
    return InternalError("exec status is not a JSON object: " + std::string(status_json));
  }
  const boost::json::object& o = v.as_object();
  const boost::json::value* status = o.if_contains("status");
  if (status != nullptr && status->is_string() && status->as_string() == "Success") {
    return 0;
  }
  const boost::json::value* details = o.if_contains("details");
  const boost::json::value* causes =
      details != nullptr && details->is_object() ? details->as_object().if_contains("causes")
                                                 : nullptr;
  if (causes != nullptr && causes->is_array()) {
    for (const boost::json::value& cause : causes->as_array()) {
      const boost::json::value* reason =
          cause.is_object() ? cause.as_object().if_contains("reason") : nullptr;
      const boost::json::value* message =
          cause.is_object() ? cause.as_object().if_contains("message") : nullptr;
      if (reason == nullptr || !reason->is_string() || reason->as_string() != "ExitCode" ||
          message == nullptr || !message->is_string()) {
        continue;
      }
      const boost::json::string& text = message->as_string();
      int code = 0;
      auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), code);
      if (err == std::errc() && end == text.data() + text.size()) {
        return code;
      }
    }
  }
  const boost::json::value* message = o.if_contains("message");
  return InternalError("exec failed: " + (message != nullptr && message->is_string()
                                              ? std::string(message->as_string())
                                              : std::string(status_json)));
}

}  // namespace openeci::runtime
