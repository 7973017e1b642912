#include "controller/probe_runner.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <memory>

namespace openeci::controller {
namespace {

using Steady = std::chrono::steady_clock;

// Kubelet reads at most this much of a probe's answer.
constexpr size_t kMaxHttpHead = 10 * 1024;

std::string Joined(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

std::string HostPort(const std::string& ip, int port) {
  return ip.find(':') != std::string::npos ? "[" + ip + "]:" + std::to_string(port)
                                           : ip + ":" + std::to_string(port);
}

// strerror as Go words it ("connection refused"), which is what kubelet's messages carry.
std::string ErrnoText(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

int RemainingMs(Steady::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

// Owns a socket descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` is ready for `events`; false on timeout.
bool WaitFd(int fd, short events, Steady::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the next call report the error
  }
}

// Opens a non-blocking TCP connection, or explains (Go's wording) why not.
std::unique_ptr<Fd> Connect(const std::string& ip, int port, Steady::time_point deadline,
                            std::string* error) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v6);
  } else {
    *error = "dial tcp " + HostPort(ip, port) + ": the pod has no IP address";
    return nullptr;
  }
  const std::string dial = "dial tcp " + HostPort(ip, port) + ": ";
  auto fd = std::make_unique<Fd>(socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd->get() < 0) {
    *error = dial + "socket: " + ErrnoText(errno);
    return nullptr;
  }
  if (connect(fd->get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 && errno != EINPROGRESS) {
    *error = dial + "connect: " + ErrnoText(errno);
    return nullptr;
  }
  if (!WaitFd(fd->get(), POLLOUT, deadline)) {
    *error = dial + "i/o timeout";
    return nullptr;
  }
  int so_error = 0;
  socklen_t so_len = sizeof(so_error);
  getsockopt(fd->get(), SOL_SOCKET, SO_ERROR, &so_error, &so_len);
  if (so_error != 0) {
    *error = dial + "connect: " + ErrnoText(so_error);
    return nullptr;
  }
  return fd;
}

// A byte stream over a connected socket, plain or TLS (no certificate verification), every
// operation bounded by one deadline.
class Stream {
 public:
  Stream(int fd, Steady::time_point deadline) : fd_(fd), deadline_(deadline) {}
  ~Stream() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  bool StartTls(std::string* error) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) return Fail("TLS setup failed", error);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    ssl_ = SSL_new(ctx_);
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) return Fail("TLS setup failed", error);
    for (;;) {
      int rc = SSL_connect(ssl_);
      if (rc == 1) return true;
      if (!WaitSsl(rc)) return Fail(TlsError("TLS handshake", rc), error);
    }
  }

  bool WriteAll(const std::string& data, std::string* error) {
    size_t done = 0;
    while (done < data.size()) {
      int n;
      if (ssl_) {
        n = SSL_write(ssl_, data.data() + done, static_cast<int>(data.size() - done));
        if (n <= 0) {
          if (!WaitSsl(n)) return Fail(TlsError("write", n), error);
          continue;
        }
      } else {
        n = static_cast<int>(send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL));
        if (n < 0) {
          if ((errno == EAGAIN || errno == EINTR) && WaitFd(fd_, POLLOUT, deadline_)) continue;
          return Fail(errno == EAGAIN ? "i/o timeout" : std::string("write: ") + ErrnoText(errno),
                      error);
        }
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads some bytes; 0 at the end of the stream, -1 on error or timeout.
  int ReadSome(char* buf, int size, std::string* error) {
    for (;;) {
      if (ssl_) {
        int n = SSL_read(ssl_, buf, size);
        if (n > 0) return n;
        if (SSL_get_error(ssl_, n) == SSL_ERROR_ZERO_RETURN) return 0;
        if (!WaitSsl(n)) {
          Fail(TimedOut() ? "i/o timeout" : TlsError("read", n), error);
          return -1;
        }
        continue;
      }
      ssize_t n = recv(fd_, buf, static_cast<size_t>(size), 0);
      if (n >= 0) return static_cast<int>(n);
      if ((errno == EAGAIN || errno == EINTR) && WaitFd(fd_, POLLIN, deadline_)) continue;
      Fail(errno == EAGAIN ? "i/o timeout" : std::string("read: ") + ErrnoText(errno), error);
      return -1;
    }
  }

 private:
  bool TimedOut() const { return RemainingMs(deadline_) == 0; }

  // After an SSL call returned `rc`: waits for the socket when OpenSSL asks to; false when
  // the call failed for good or the deadline passed.
  bool WaitSsl(int rc) {
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ) return WaitFd(fd_, POLLIN, deadline_);
    if (err == SSL_ERROR_WANT_WRITE) return WaitFd(fd_, POLLOUT, deadline_);
    return false;
  }

  std::string TlsError(const char* what, int rc) {
    if (TimedOut()) return std::string(what) + ": i/o timeout";
    unsigned long code = ERR_get_error();
    char buf[256] = "connection closed";
    if (code != 0) ERR_error_string_n(code, buf, sizeof(buf));
    ERR_clear_error();
    return std::string(what) + ": " + buf;
  }

  static bool Fail(const std::string& why, std::string* error) {
    *error = why;
    return false;
  }

  int fd_;
  Steady::time_point deadline_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

// "HTTP/1.1 200 OK\r\n..." -> 200; 0 when it is not a status line.
int StatusCodeOf(const std::string& head) {
  if (head.rfind("HTTP/", 0) != 0) return 0;
  size_t sp = head.find(' ');
  if (sp == std::string::npos || sp + 4 > head.size()) return 0;
  int code = 0;
  for (size_t i = sp + 1; i < sp + 4; ++i) {
    if (head[i] < '0' || head[i] > '9') return 0;
    code = code * 10 + (head[i] - '0');
  }
  return code;
}

}  // namespace

ProbeOutcome HttpGetProbe(const std::string& ip, int port, const std::string& path, bool https,
                          int timeout_seconds) {
  const auto deadline = Steady::now() + std::chrono::seconds(std::max(1, timeout_seconds));
  std::string target = path.empty() ? "/" : (path[0] == '/' ? path : "/" + path);
  std::string url = std::string(https ? "https://" : "http://") + HostPort(ip, port) + target;
  auto failed = [&url](const std::string& why) {
    return ProbeOutcome{false, "Get \"" + url + "\": " + why};
  };
  std::string error;
  std::unique_ptr<Fd> fd = Connect(ip, port, deadline, &error);
  if (!fd) return failed(error);
  Stream stream(fd->get(), deadline);
  if (https && !stream.StartTls(&error)) return failed(error);
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + HostPort(ip, port) +
                        "\r\nUser-Agent: kube-probe/1.28\r\nAccept: */*\r\n"
                        "Connection: close\r\n\r\n";
  if (!stream.WriteAll(request, &error)) return failed(error);
  std::string head;
  char buf[4096];
  while (head.find("\r\n") == std::string::npos && head.size() < kMaxHttpHead) {
    int n = stream.ReadSome(buf, sizeof(buf), &error);
    if (n < 0) {
      return failed(error == "i/o timeout"
                        ? "context deadline exceeded (Client.Timeout exceeded while awaiting "
                          "headers)"
                        : error);
    }
    if (n == 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  int code = StatusCodeOf(head);
  if (code == 0) return failed("malformed HTTP response");
  if (code >= 200 && code < 400) return {true, ""};
  return {false, "HTTP probe failed with statuscode: " + std::to_string(code)};
}

ProbeOutcome TcpProbe(const std::string& ip, int port, int timeout_seconds) {
  const auto deadline = Steady::now() + std::chrono::seconds(std::max(1, timeout_seconds));
  std::string error;
  std::unique_ptr<Fd> fd = Connect(ip, port, deadline, &error);
  if (!fd) return {false, error};
  return {true, ""};
}

ProbeOutcome RuntimeProbeRunner::Run(const core::ProbeSpec& spec, const ProbeTarget& target) {
  if (!spec.exec_command.empty()) return Exec(spec, target);
  if (spec.http_port != 0) {
    return HttpGetProbe(target.pod_ip, spec.http_port, spec.http_path,
                        spec.http_scheme == "HTTPS", spec.timeout_seconds);
  }
  if (spec.tcp_port != 0) return TcpProbe(target.pod_ip, spec.tcp_port, spec.timeout_seconds);
  return {false, "the probe has no handler"};
}

ProbeOutcome RuntimeProbeRunner::Exec(const core::ProbeSpec& spec, const ProbeTarget& target) {
  const int timeout = std::max(1, spec.timeout_seconds);
  const auto started = Steady::now();
  StatusOr<runtime::ExecSyncResult> r =
      runtime_.ExecSync(target.container_id, spec.exec_command, timeout);
  if (!r.ok()) {
    bool timed_out = Steady::now() - started >= std::chrono::seconds(timeout) ||
                     r.status().message().find("timeout") != std::string::npos ||
                     r.status().message().find("deadline") != std::string::npos;
    if (timed_out) return {false, "command \"" + Joined(spec.exec_command) + "\" timed out"};
    return {false, r.status().message()};
  }
  if (r->exit_code == 0) return {true, ""};
  std::string output = r->stdout_data + r->stderr_data;
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  if (output.empty()) {
    output = "command \"" + Joined(spec.exec_command) + "\" exited with code " +
             std::to_string(r->exit_code);
  }
  return {false, output};
}

}  // namespace openeci::controller
