// ExecStreamClient: a client of the Kubernetes channel protocol ("v4.channel.k8s.io" over
// WebSocket) that containerd's CRI streaming server speaks for the URLs Runtime::Exec returns.
//
// Every WebSocket message is one frame: its first byte is the channel, the rest the payload.
// Channels: 0 stdin (client -> server), 1 stdout, 2 stderr, 3 error/status (one JSON
// metav1.Status when the command ends; ExitCodeOf reads it), 4 resize (client -> server, JSON
// {"Width":W,"Height":H}). After the status frame the server closes the connection.
//
// Thread-safe: Send, Resize, Read and Close may be called from any threads concurrently. Sends
// are serialised (one message at a time, in call order per thread); Read is meant for one
// reader thread (concurrent readers each get distinct frames). Internally one I/O thread owns
// the socket; it reads ahead and queues incoming frames without limit until Read takes them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace openeci::runtime {

class ExecStreamClient {
 public:
  static constexpr int kStdin = 0;
  static constexpr int kStdout = 1;
  static constexpr int kStderr = 2;
  static constexpr int kError = 3;
  static constexpr int kResize = 4;

  struct Frame {
    int channel = 0;
    std::string data;
  };

  // Connects to `url` ("http://HOST:PORT/exec/TOKEN" as CRI returns it, or ws://) and
  // completes the WebSocket handshake with subprotocol v4.channel.k8s.io within 10 s.
  // kInvalidArgument for a URL it cannot use; kUnavailable when the server cannot be reached
  // or refuses (e.g. an expired or already used token: "HTTP 404" in the message). Observed
  // with containerd 1.6: a refused URL is reported only when the 10 s handshake timeout ends
  // (the server keeps the connection open after its 404 and the handshake completes late),
  // so connect right after Runtime::Exec and do not retry a URL.
  static StatusOr<std::unique_ptr<ExecStreamClient>> Connect(const std::string& url);
  // Closes (see Close) and joins the I/O thread.
  ~ExecStreamClient();

  ExecStreamClient(const ExecStreamClient&) = delete;
  ExecStreamClient& operator=(const ExecStreamClient&) = delete;

  // Sends `data` on `channel` (0..255) as one message and waits until it is written.
  // kUnavailable once the stream is closed or broken.
  Status Send(int channel, std::string_view data);
  // Send(kResize, {"Width":width,"Height":height}).
  Status Resize(int width, int height);
  // The next frame, blocking until one arrives. Frames without payload are skipped. When the
  // stream has ended and every frame was read: kUnavailable, message "exec stream closed..."
  // for an orderly close by the server (the normal end after the status frame), "exec stream
  // failed: ..." otherwise, or "exec stream closed by client" after Close.
  StatusOr<Frame> Read();
  // Closes the WebSocket politely (close frame, up to 2 s for the server's answer), then the
  // socket; wakes a blocked Read and fails later Sends. Idempotent.
  void Close();

  // The exit code carried by a channel-3 status frame: 0 for {"status":"Success"}, N for a
  // Failure whose details.causes has {"reason":"ExitCode","message":"N"}. kInternal with the
  // status' own message for any other failure (the command could not be started, ...), or
  // when `status_json` is not a Status object.
  static StatusOr<int> ExitCodeOf(std::string_view status_json);

 private:
  struct Impl;
  explicit ExecStreamClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace openeci::runtime
