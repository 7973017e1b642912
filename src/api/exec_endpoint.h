// ExecEndpoint: OpenECI's own WebSocket endpoint /exec/<token>, the WebSocketUri that
// ExecContainerCommand answers. An upgrade with a valid token (see ExecSessionRegistry) starts
// the prepared exec through the runtime (CRI Exec) and bridges the client and the runtime's
// stream both ways, one frame per message, first byte = channel:
//   client -> OpenECI: 0 stdin, 4 terminal size {"Width":80,"Height":24}
//   OpenECI -> client: 1 stdout, 2 stderr, and at the end one frame on 3: {"ExitCode":n}
//   (plus "Message" when the command could not run), followed by a normal close (1000).
// Unknown, used or expired tokens are refused before the upgrade with HTTP 401 and a JSON
// error body. A token is bound to the account that asked for it: when it is used, `check` (if
// given) must still accept the session — the key that asked is still enabled and the group
// still belongs to that account — or the upgrade is refused with check's error.
// A TTY session whose client leaves while its command runs is hung up: Ctrl-C, then Ctrl-D on
// its terminal, a few rounds (containerd would keep the process running in the container for
// good); a program that ignores both keeps running. A non-TTY command gets end of input on
// stdin and otherwise runs to its end, as with kubectl exec.
// Thread-safe: Decide runs on the HTTP I/O threads, each bridge on its own thread.
#pragma once

#include <functional>
#include <string>

#include "api/exec_sessions.h"
#include "api/http_server.h"
#include "runtime/runtime.h"

namespace openeci::api {

inline constexpr const char* kExecPathPrefix = "/exec/";

class ExecEndpoint {
 public:
  // Ok when `session` may still run; called once per upgrade, after the token is taken, on the
  // I/O thread (so it must be quick: the server's reads two rows, and WAL readers never wait
  // for writers).
  using SessionCheck = std::function<Status(const ExecSession& session)>;

  ExecEndpoint(ExecSessionRegistry& sessions, runtime::Runtime& runtime,
               SessionCheck check = nullptr)
      : sessions_(sessions), runtime_(runtime), check_(std::move(check)) {}

  // The HttpServer's WebSocketHandler.
  WebSocketDecision Decide(const HttpRequest& request);

 private:
  // Runs `session` and bridges it to `client` until the command ends or the client leaves.
  void Bridge(const ExecSession& session, WebSocketSession& client);

  ExecSessionRegistry& sessions_;
  runtime::Runtime& runtime_;
  const SessionCheck check_;
};

}  // namespace openeci::api
