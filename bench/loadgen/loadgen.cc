// loadgen: an HTTP/1.1 keep-alive load generator for the OpenECI (ECI 2018-08-08 RPC) API.
//
// N connections each send one request at a time (closed loop) for a duration or until a total
// request count is reached. Every request is signed as the official eci20180808 SDK signs it —
// ACS3-HMAC-SHA256 by default (`--sign v3`, style A of the SDK wire contract), or RPC V1
// HMAC-SHA1 with `--sign v1` (style B: `config.signatureAlgorithm='v2'`) — with a fresh nonce
// and timestamp, using the server's own signing code (api/signature.h), so a request the
// server refuses is a server or client bug, never a second implementation drifting.
//
// Parameter values may contain `{i}`, replaced by the request's sequence number (0-based,
// global across connections): CreateContainerGroup with `ContainerGroupName=bench-{i}` and
// `ClientToken=tok-{i}` sends distinct groups.
//
// Prints one JSON object: requests, seconds, rps, status code counts, transport errors, error
// codes of non-2xx answers, latency percentiles (ms) and a log2 histogram (microseconds).
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <algorithm>
#include <cmath>
#include <optional>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/percent.h"
#include "api/signature.h"
#include "common/clock.h"
#include "common/ids.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr const char* kVersion = "2018-08-08";
constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "18080";
  std::string key_id;
  std::string key_secret;
  std::string action = "DescribeContainerGroups";
  std::string sign = "v3";
  std::vector<std::pair<std::string, std::string>> params;  // values may hold {i}
  int connections = 1;
  int threads = 1;
  double duration_s = 0;    // 0: until `requests` are sent
  int64_t requests = 0;     // 0: until `duration_s` has passed
  double warmup_s = 0;      // sent but not counted
  bool samples = false;     // also print every latency (ms)
};

[[noreturn]] void Usage(const std::string& why) {
  std::cerr << "loadgen: " << why << "\n"
            << "usage: loadgen --endpoint HOST:PORT --key-id ID --key-secret SECRET\n"
               "  [--action NAME] [--param K=V ...] [--sign v3|v1] [--connections N]\n"
               "  [--threads N] (--duration SECONDS | --requests N) [--warmup SECONDS]\n"
               "  [--samples]\n"
               "Values may contain {i}: the request's sequence number.\n";
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--endpoint") {
      std::string e = value();
      auto colon = e.rfind(':');
      if (colon == std::string::npos) Usage("--endpoint needs HOST:PORT");
      o.host = e.substr(0, colon);
      o.port = e.substr(colon + 1);
    } else if (a == "--key-id") {
      o.key_id = value();
    } else if (a == "--key-secret") {
      o.key_secret = value();
    } else if (a == "--action") {
      o.action = value();
    } else if (a == "--sign") {
      o.sign = value();
      if (o.sign != "v3" && o.sign != "v1") Usage("--sign is v3 or v1");
    } else if (a == "--param") {
      std::string kv = value();
      auto eq = kv.find('=');
      if (eq == std::string::npos) Usage("--param needs K=V");
      o.params.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (a == "--connections") {
      o.connections = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--threads") {
      o.threads = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--duration") {
      o.duration_s = std::atof(value().c_str());
    } else if (a == "--requests") {
      o.requests = std::atoll(value().c_str());
    } else if (a == "--warmup") {
      o.warmup_s = std::atof(value().c_str());
    } else if (a == "--samples") {
      o.samples = true;
    } else {
      Usage("unknown argument " + a);
    }
  }
  if (o.key_id.empty() || o.key_secret.empty()) Usage("--key-id and --key-secret are required");
  if (o.duration_s <= 0 && o.requests <= 0) Usage("give --duration or --requests");
  return o;
}

std::string Substitute(const std::string& v, int64_t seq) {
  std::string out;
  std::string n = std::to_string(seq);
  for (size_t i = 0; i < v.size(); ++i) {
    if (v.compare(i, 3, "{i}") == 0) {
      out += n;
      i += 2;
    } else {
      out += v[i];
    }
  }
  return out;
}

std::string QueryString(const std::map<std::string, std::string>& params) {
  std::string q;
  for (const auto& [k, v] : params) {
    if (!q.empty()) q += '&';
    q += openeci::api::PercentEncode(k);
    q += '=';
    q += openeci::api::PercentEncode(v);
  }
  return q;
}

// One signed request, as the SDK sends it: always POST /, business parameters in the query,
// an empty body.
http::request<http::string_body> BuildRequest(const Options& o, const std::string& host_header,
                                              int64_t seq) {
  std::map<std::string, std::string> params;
  for (const auto& [k, v] : o.params) params[k] = Substitute(v, seq);
  const std::string nonce = openeci::RandomHex(32);
  const std::string timestamp = openeci::FormatRfc3339(std::chrono::system_clock::now());
  http::request<http::string_body> req{http::verb::post, "/", 11};
  req.set(http::field::host, host_header);
  req.set(http::field::user_agent, "openeci-loadgen");
  req.set("x-acs-version", kVersion);
  req.set("x-acs-action", o.action);
  req.set(http::field::accept, "application/json");
  if (o.sign == "v1") {
    params["Action"] = o.action;
    params["Version"] = kVersion;
    params["Format"] = "json";
    params = openeci::api::SignV1Request("POST", std::move(params), {o.key_id, o.key_secret},
                                         nonce, timestamp);
  } else {
    std::map<std::string, std::string> headers = {
        {"host", host_header},
        {"x-acs-action", o.action},
        {"x-acs-content-sha256", kEmptySha256},
        {"x-acs-credentials-provider", "static_ak"},
        {"x-acs-date", timestamp},
        {"x-acs-signature-nonce", nonce},
        {"x-acs-version", kVersion},
    };
    std::vector<std::string> signed_headers;
    for (const auto& [name, value] : headers) signed_headers.push_back(name);
    std::string signature = openeci::api::ComputeV3Signature("POST", params, headers,
                                                             signed_headers, kEmptySha256,
                                                             o.key_secret);
    std::string list;
    for (const auto& name : signed_headers) list += (list.empty() ? "" : ";") + name;
    for (const auto& [name, value] : headers) {
      if (name != "host") req.set(name, value);
    }
    req.set(http::field::authorization, "ACS3-HMAC-SHA256 Credential=" + o.key_id +
                                            ",SignedHeaders=" + list + ",Signature=" + signature);
  }
  std::string query = QueryString(params);
  req.target(query.empty() ? "/" : "/?" + query);
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

// The Code of an error answer, "" when there is none.
std::string ErrorCode(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return "(not JSON)";
  const json::value* code = v.as_object().if_contains("Code");
  return code != nullptr && code->is_string() ? std::string(code->get_string()) : "";
}

struct Shared {
  explicit Shared(const Options& o) : options(o) {}
  const Options& options;
  std::string host_header;
  tcp::resolver::results_type endpoints;
  Clock::time_point measure_from;
  Clock::time_point deadline;  // max() when running by count
  std::atomic<int64_t> next_seq{0};

  std::mutex mu;  // guards everything below
  std::vector<double> latencies_ms;
  std::map<int, int64_t> statuses;
  std::map<std::string, int64_t> error_codes;
  int64_t transport_errors = 0;
  std::string last_transport_error;
};

// One connection: send, wait for the answer, repeat. Reconnects after a transport error.
asio::awaitable<void> Connection(Shared& s) {
  std::vector<double> latencies;
  std::map<int, int64_t> statuses;
  std::map<std::string, int64_t> codes;
  int64_t errors = 0;
  std::string last_error;
  auto executor = co_await asio::this_coro::executor;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  for (;;) {
    if (Clock::now() >= s.deadline) break;
    int64_t seq = s.next_seq.fetch_add(1);
    if (s.options.requests > 0 && seq >= s.options.requests) break;
    if (!stream) {
      stream.emplace(executor);
      auto [ec, ep] = co_await stream->async_connect(s.endpoints,
                                                     asio::as_tuple(asio::use_awaitable));
      if (ec) {
        ++errors;
        last_error = "connect: " + ec.message();
        stream.reset();
        asio::steady_timer t(executor, std::chrono::milliseconds(100));
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      stream->socket().set_option(tcp::no_delay(true));
      buffer.clear();
    }
    auto req = BuildRequest(s.options, s.host_header, seq);
    const auto started = Clock::now();
    auto [wec, wn] = co_await http::async_write(*stream, req, asio::as_tuple(asio::use_awaitable));
    http::response<http::string_body> res;
    boost::system::error_code rec = wec;
    if (!wec) {
      auto [ec, n] = co_await http::async_read(*stream, buffer, res,
                                               asio::as_tuple(asio::use_awaitable));
      rec = ec;
    }
    const auto finished = Clock::now();
    if (rec) {
      ++errors;
      last_error = rec.message();
      stream.reset();
      continue;
    }
    if (started >= s.measure_from) {
      latencies.push_back(std::chrono::duration<double, std::milli>(finished - started).count());
      ++statuses[res.result_int()];
      if (res.result_int() >= 300) ++codes[ErrorCode(res.body())];
    }
    if (!res.keep_alive()) stream.reset();
  }
  if (stream) {
    boost::system::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
  std::lock_guard lock(s.mu);
  s.latencies_ms.insert(s.latencies_ms.end(), latencies.begin(), latencies.end());
  for (const auto& [k, v] : statuses) s.statuses[k] += v;
  for (const auto& [k, v] : codes) s.error_codes[k] += v;
  s.transport_errors += errors;
  if (!last_error.empty()) s.last_transport_error = last_error;
}

// Linear interpolation between closest ranks, as bench/lib/stats.mjs computes it.
double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double pos = static_cast<double>(sorted.size() - 1) * p / 100.0;
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = static_cast<size_t>(std::ceil(pos));
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

double Round3(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseArgs(argc, argv);
  asio::io_context io(options.threads);
  Shared s(options);
  s.host_header = options.host + ":" + options.port;
  try {
    s.endpoints = tcp::resolver(io).resolve(options.host, options.port);
  } catch (const std::exception& e) {
    Usage(std::string("cannot resolve the endpoint: ") + e.what());
  }
  const auto start = Clock::now();
  const auto warmup = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.warmup_s));
  s.measure_from = start + warmup;
  s.deadline = options.duration_s > 0
                   ? s.measure_from + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(options.duration_s))
                   : Clock::time_point::max();
  for (int i = 0; i < options.connections; ++i) {
    asio::co_spawn(io, Connection(s), asio::detached);
  }
  std::vector<std::thread> threads;
  for (int i = 1; i < options.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  const auto end = Clock::now();

  std::vector<double>& lat = s.latencies_ms;
  std::sort(lat.begin(), lat.end());
  const double seconds =
      std::chrono::duration<double>(end - std::max(start + warmup, start)).count();
  double sum = 0;
  for (double v : lat) sum += v;
  json::object out;
  out["action"] = options.action;
  out["sign"] = options.sign;
  out["connections"] = options.connections;
  out["threads"] = options.threads;
  out["requests"] = static_cast<int64_t>(lat.size());
  out["seconds"] = Round3(seconds);
  out["rps"] = Round3(seconds > 0 ? static_cast<double>(lat.size()) / seconds : 0);
  json::object statuses;
  int64_t non_2xx = 0;
  for (const auto& [code, n] : s.statuses) {
    statuses[std::to_string(code)] = n;
    if (code < 200 || code >= 300) non_2xx += n;
  }
  out["status"] = std::move(statuses);
  out["non_2xx"] = non_2xx;
  json::object codes;
  for (const auto& [code, n] : s.error_codes) codes[code.empty() ? "(none)" : code] = n;
  out["error_codes"] = std::move(codes);
  out["transport_errors"] = s.transport_errors;
  out["last_transport_error"] = s.last_transport_error;
  json::object latency;
  latency["n"] = static_cast<int64_t>(lat.size());
  latency["p50"] = Round3(Percentile(lat, 50));
  latency["p90"] = Round3(Percentile(lat, 90));
  latency["p99"] = Round3(Percentile(lat, 99));
  latency["min"] = Round3(lat.empty() ? 0 : lat.front());
  latency["max"] = Round3(lat.empty() ? 0 : lat.back());
  latency["mean"] = Round3(lat.empty() ? 0 : sum / static_cast<double>(lat.size()));
  out["latency_ms"] = std::move(latency);
  // log2 buckets of microseconds: "64" counts answers in [64, 128) us.
  std::map<int64_t, int64_t> buckets;
  for (double v : lat) {
    int64_t us = std::max<int64_t>(1, static_cast<int64_t>(v * 1000.0));
    int64_t b = 1;
    while (b * 2 <= us) b *= 2;
    ++buckets[b];
  }
  json::object histogram;
  for (const auto& [b, n] : buckets) histogram[std::to_string(b)] = n;
  out["histogram_us"] = std::move(histogram);
  if (options.samples) {
    json::array samples;
    for (double v : lat) samples.push_back(Round3(v));
    out["samples_ms"] = std::move(samples);
  }
  std::cout << json::serialize(out) << std::endl;
  return s.transport_errors > 0 && lat.empty() ? 1 : 0;
}
