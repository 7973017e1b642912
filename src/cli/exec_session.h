// ExecSession: the client end of OpenECI's exec WebSocket (README, "Exec protocol"): one binary
// frame per message, first byte the channel — 0 stdin and 4 terminal size (JSON) from us; 1
// stdout, 2 stderr and 3 the exit status (JSON {"ExitCode":n}) from the server.
//
// With a TTY and a terminal on stdin, the local terminal is put in raw mode for the session and
// restored on every way out (normal end, error, exception, SIGTERM/SIGHUP/SIGINT), and each
// SIGWINCH sends the new size. Everything runs on one Asio thread; stdin is read by a helper
// thread that hands the bytes over with asio::post. Not thread-safe: one session, one caller.
#pragma once

#include <string>

namespace openeci::cli {

struct ExecSessionOptions {
  bool tty = false;    // the command has a terminal: send sizes, raw local terminal
  bool stdin = false;  // forward our stdin on channel 0
  std::string ca_file;  // wss://: the CA file to trust (empty: the system's trust store)
};

// Connects to `websocket_uri` (ws:// or wss://host:port/path), bridges stdin/stdout/stderr until the
// server sends the exit status and closes, and returns the remote exit code (128+N when a
// signal N ended eci first). Throws CliError: kApiError when the server refuses the upgrade
// (its Code and Message), kConnectionError when the connection fails or ends without an exit
// status.
int RunExecSession(const std::string& websocket_uri, const ExecSessionOptions& options);

}  // namespace openeci::cli
