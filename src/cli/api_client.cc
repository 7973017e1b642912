#include "cli/api_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <chrono>

#include "api/percent.h"
#include "api/signature.h"
#include "cli/cli_error.h"
#include "cli/output.h"
#include "cli/tls_client.h"
#include "common/clock.h"
#include "common/ids.h"

namespace openeci::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

constexpr char kApiVersion[] = "2018-08-08";
constexpr auto kCallTimeout = std::chrono::seconds(60);

// Sends `req` over `stream` (plain or TLS) and reads the answer into `parser`, all within the
// stream's deadline; returns the first error.
template <class Stream>
beast::error_code Exchange(asio::io_context& io, Stream& stream,
                           const asio::ip::tcp::resolver::results_type& endpoints,
                           const http::request<http::string_body>& req, beast::flat_buffer& buffer,
                           http::response_parser<http::string_body>& parser) {
  // Asynchronous only for the deadline: tcp_stream's timer covers every step.
  beast::error_code result;
  auto exchange = [&] {
    http::async_write(stream, req, [&](beast::error_code ec, size_t) {
      if (ec) {
        result = ec;
        return;
      }
      http::async_read(stream, buffer, parser, [&](beast::error_code ec, size_t) { result = ec; });
    });
  };
  beast::get_lowest_layer(stream).expires_after(kCallTimeout);
  beast::get_lowest_layer(stream).async_connect(endpoints, [&](beast::error_code ec,
                                                               const auto&) {
    if (ec) {
      result = ec;
    } else if constexpr (std::is_same_v<Stream, TlsStream>) {
      stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code ec) {
        if (ec) {
          result = ec;
        } else {
          exchange();
        }
      });
    } else {
      exchange();
    }
  });
  io.run();
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  return result;
}

std::string FormBody(const std::map<std::string, std::string>& params) {
  std::string body;
  for (const auto& [key, value] : params) {
    if (!body.empty()) body.push_back('&');
    body += api::PercentEncode(key) + "=" + api::PercentEncode(value);
  }
  return body;
}

}  // namespace

std::string HintForApiCode(const std::string& code, const Profile& profile) {
  if (code == "InvalidAccessKeyId.NotFound") {
    return "the server does not know the AccessKey " + profile.access_key_id +
           ": check the keys `openeci serve` printed and run `eci configure`";
  }
  if (code == "SignatureDoesNotMatch") {
    return "check the access_key_secret of your profile (`eci configure`)";
  }
  if (code == "InvalidTimeStamp.Expired") {
    return "this machine's clock differs from the server's by more than 15 minutes";
  }
  if (code == "RegionNotSupported") {
    return "the endpoint serves another region: see `eci regions`, then use --region";
  }
  if (code == "IncorrectStatus") {
    return "see the group's status with `eci describe GROUP`";
  }
  return "";
}

ApiClient::ApiClient(Profile profile) : profile_(std::move(profile)) {
  std::string rest = profile_.endpoint.substr(profile_.endpoint.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  host_port_ = rest;
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || rest.back() == ']') {
    host_ = rest;
    port_ = "80";
  } else {
    host_ = rest.substr(0, colon);
    port_ = rest.substr(colon + 1);
  }
  if (host_.size() > 2 && host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
  if (profile_.endpoint.rfind("https://", 0) == 0) {
    if (port_ == "80") port_ = "443";
    tls_ = MakeClientTlsContext(profile_.ca_file);
  }
}

ApiClient::~ApiClient() = default;

CliError ApiClient::ConnectionError(const std::string& what) const {
  return CliError(ExitCode::kConnectionError, "", "cannot reach " + profile_.endpoint + ": " + what,
                  "", "is `openeci serve` running at " + profile_.endpoint + "?");
}

std::pair<int, std::string> ApiClient::Post(const std::string& body) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  http::request<http::string_body> req(http::verb::post, "/", 11);
  req.set(http::field::host, host_port_);
  req.set(http::field::user_agent, "openeci-cli/1.0");
  req.set(http::field::content_type, "application/x-www-form-urlencoded");
  req.set(http::field::accept, "application/json");
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);

  beast::error_code resolve_ec;
  auto endpoints = resolver.resolve(host_, port_, resolve_ec);
  if (resolve_ec) throw ConnectionError(resolve_ec.message());
  beast::error_code result;
  if (tls_) {
    TlsStream stream(io, *tls_);
    PrepareTlsClient(stream, host_);
    result = Exchange(io, stream, endpoints, req, buffer, parser);
  } else {
    beast::tcp_stream stream(io);
    result = Exchange(io, stream, endpoints, req, buffer, parser);
  }
  if (result == beast::error::timeout) {
    throw ConnectionError("no answer within " + std::to_string(kCallTimeout.count()) + " s");
  }
  if (result) throw ConnectionError(result.message());
  return {static_cast<int>(parser.get().result_int()), parser.get().body()};
}

json::object ApiClient::Call(const std::string& action, std::map<std::string, std::string> params) {
  params["Action"] = action;
  params["Version"] = kApiVersion;
  params["Format"] = "JSON";
  if (!params.count("RegionId")) params["RegionId"] = profile_.region_id;
  const auto signed_params =
      api::SignV1Request("POST", std::move(params),
                         {profile_.access_key_id, profile_.access_key_secret}, RandomHex(32),
                         FormatRfc3339(std::chrono::system_clock::now()));
  auto [status, body] = Post(FormBody(signed_params));

  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    throw CliError(ExitCode::kConnectionError, "",
                   profile_.endpoint + " answered HTTP " + std::to_string(status) +
                       " with something that is not an API answer: " + body.substr(0, 200),
                   "", "is " + profile_.endpoint + " the address of `openeci serve`?");
  }
  json::object& answer = doc.as_object();
  if (status >= 300) {
    std::string code = Str(answer, "Code");
    throw CliError(ExitCode::kApiError, code.empty() ? "HTTP" + std::to_string(status) : code,
                   Str(answer, "Message"), Str(answer, "RequestId"),
                   HintForApiCode(code, profile_));
  }
  return std::move(answer);
}

}  // namespace openeci::cli
