#include "api/exec_endpoint.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <string_view>
#include <thread>

#include "api/errors.h"
#include "common/ids.h"
#include "runtime/cri/exec_stream.h"
#include "runtime/runtime.h"

namespace openeci::api {
namespace {

namespace json = boost::json;

constexpr uint16_t kCloseNormal = 1000;
constexpr uint16_t kClosePolicyViolation = 1008;
constexpr uint16_t kCloseInternalError = 1011;
constexpr char kStdin = 0, kStdout = 1, kStderr = 2, kStatus = 3, kResize = 4;

// How the terminal of a TTY session whose client left while its command still runs is hung up
// (containerd keeps an exec's process running when its stream closes, so it would stay in the
// container for good): Ctrl-C interrupts the foreground program; once the shell is back at its
// prompt, Ctrl-D at the empty line ends it. A few rounds, for shells started from shells.
constexpr std::string_view kInterrupt = "\x03";
constexpr std::string_view kEndOfInput = "\x04";
constexpr int kHangUpRounds = 3;
constexpr std::chrono::milliseconds kBackAtPrompt(200);
constexpr std::chrono::milliseconds kExitGrace(1000);

HttpResponse Refuse(int status, const std::string& code, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(
      json::object{{"RequestId", NewRequestId()}, {"Code", code}, {"Message", message}});
  return r;
}

std::string Frame(char channel, std::string_view payload) {
  std::string out(1, channel);
  out.append(payload);
  return out;
}

std::string ExitFrame(int exit_code, const std::string& message) {
  json::object o{{"ExitCode", exit_code}};
  if (!message.empty()) o["Message"] = message;
  return Frame(kStatus, json::serialize(o));
}

// Picks the Kubernetes channel subprotocol when the client offers it (for kubectl-style
// clients); OpenECI's framing is the same with or without it.
std::string ChooseSubprotocol(const HttpRequest& request) {
  auto it = request.headers.find("sec-websocket-protocol");
  if (it == request.headers.end()) return "";
  for (const char* known : {"v4.channel.k8s.io", "channel.k8s.io"}) {
    std::string_view offered = it->second;
    while (!offered.empty()) {
      size_t comma = offered.find(',');
      std::string_view item = offered.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (item == known) return known;
      if (comma == std::string_view::npos) break;
      offered.remove_prefix(comma + 1);
    }
  }
  return "";
}

// Ends the command of a TTY session whose client left (see kInterrupt); returns once it is over
// or the rounds are spent. `command_over` is ready when the runtime's stream has ended.
void HangUp(const ExecSession& session, runtime::ExecStreamClient& stream,
            const std::future<void>& command_over) {
  const auto over = [&](std::chrono::milliseconds wait) {
    return command_over.wait_for(wait) == std::future_status::ready;
  };
  if (over(std::chrono::milliseconds(0))) return;
  spdlog::info("exec in {}: the client left while the command runs; hanging up its terminal",
               session.group_id);
  for (int round = 0; round < kHangUpRounds; ++round) {
    if (!stream.Send(kStdin, kInterrupt).ok() || over(kBackAtPrompt)) return;
    if (!stream.Send(kStdin, kEndOfInput).ok() || over(kExitGrace)) return;
  }
  spdlog::warn("exec in {}: the command ignored the hang-up and keeps running",
               session.group_id);
}

}  // namespace

WebSocketDecision ExecEndpoint::Decide(const HttpRequest& request) {
  WebSocketDecision d;
  std::string_view target = request.target;
  target = target.substr(0, target.find('?'));
  if (target.rfind(kExecPathPrefix, 0) != 0) {
    d.refusal = Refuse(404, "InvalidAction.NotFound",
                       "No WebSocket endpoint at " + std::string(target) + "; exec sessions are "
                       "at the WebSocketUri that ExecContainerCommand answers.");
    return d;
  }
  std::string token(target.substr(std::string_view(kExecPathPrefix).size()));
  std::optional<ExecSession> session = sessions_.Take(token);
  if (!session) {
    d.refusal = Refuse(401, "InvalidExecToken",
                       "The exec token is unknown, already used or expired; call "
                       "ExecContainerCommand again for a new WebSocketUri.");
    return d;
  }
  if (check_) {
    if (Status st = check_(*session); !st.ok()) {
      d.refusal = Refuse(HttpStatusFor(st), st.api_code(), st.message());
      return d;
    }
  }
  d.subprotocol = ChooseSubprotocol(request);
  d.run = [this, s = std::move(*session)](WebSocketSession& client) { Bridge(s, client); };
  return d;
}

void ExecEndpoint::Bridge(const ExecSession& session, WebSocketSession& client) {
  spdlog::info("exec in {}/{}: {} arguments, tty={}", session.group_id, session.container_name,
               session.command.size(), session.tty);
  StatusOr<std::string> url =
      runtime_.Exec(session.container_id, session.command, session.tty, session.stdin_open);
  using runtime::ExecStreamClient;
  StatusOr<std::unique_ptr<ExecStreamClient>> connected =
      url.ok() ? ExecStreamClient::Connect(*url) : url.status();
  if (!connected.ok()) {
    spdlog::warn("exec in {}: {}", session.group_id, connected.status().ToString());
    client.Send(ExitFrame(-1, connected.status().message()));
    client.Close(kCloseInternalError, "exec failed");
    return;
  }
  ExecStreamClient& stream = **connected;
  std::promise<void> stream_ended;  // the runtime's stream ended: the command is over
  std::future<void> command_over = stream_ended.get_future();

  // Runtime -> client, on a thread of its own; ends with the exit frame and a normal close.
  std::thread pump([&] {
    std::string status;
    for (;;) {
      auto frame = stream.Read();
      if (!frame.ok()) break;
      if (frame->channel == kStatus) {
        status = frame->data;
      } else if (frame->channel == kStdout || frame->channel == kStderr) {
        client.Send(Frame(static_cast<char>(frame->channel), frame->data));
      }
    }
    stream_ended.set_value();
    StatusOr<int> exit_code = ExecStreamClient::ExitCodeOf(status);
    if (status.empty()) {
      client.Send(ExitFrame(-1, "the exec stream ended without an exit status"));
    } else if (exit_code.ok()) {
      client.Send(ExitFrame(*exit_code, ""));
    } else {
      client.Send(ExitFrame(-1, exit_code.status().message()));
    }
    client.Close(kCloseNormal, "");
  });

  // Client -> runtime on this thread, until the client's side closes.
  bool client_left = true;
  while (std::optional<WebSocketMessage> m = client.Receive()) {
    if (m->data.empty()) continue;
    char channel = m->data[0];
    if (channel != kStdin && channel != kResize) {
      client.Close(kClosePolicyViolation,
                   "unknown channel " + std::to_string(static_cast<unsigned char>(channel)) +
                       "; clients send 0 (stdin) and 4 (resize)");
      break;
    }
    Status st = stream.Send(channel, std::string_view(m->data).substr(1));
    if (!st.ok()) {
      client_left = false;
      break;
    }
  }
  if (client_left && session.tty) HangUp(session, stream, command_over);
  stream.Close();
  pump.join();
}

}  // namespace openeci::api
