// Test helpers for the containerd tests: a docker-registry serving plain HTTP on 127.0.0.1,
// started in a directory of the test's and stopped (SIGTERM, reaped) on destruction.
// Thread-compatible (one test owns one registry).
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace openeci::runtime::testing {

// A free TCP port on 127.0.0.1 (racy in theory, fine for a test).
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class LocalRegistry {
 public:
  // Writes dir/config.yml and spawns `docker-registry serve` (storage dir/data, log
  // dir/registry.log). With a non-empty `htpasswd_file` it asks for basic auth. Check ok().
  LocalRegistry(const std::string& dir, const std::string& htpasswd_file = "")
      : port_(FreePort()), addr_("127.0.0.1:" + std::to_string(port_)) {
    std::filesystem::create_directories(dir);
    const std::string cfg_path = dir + "/config.yml";
    {
      std::ofstream cfg(cfg_path);
      cfg << "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " << dir << "/data\n"
          << "http:\n  addr: " << addr_ << "\n";
      if (!htpasswd_file.empty()) {
        cfg << "auth:\n  htpasswd:\n    realm: test\n    path: " << htpasswd_file << "\n";
      }
      cfg << "log:\n  level: error\n";
    }
    char* argv[] = {const_cast<char*>("docker-registry"), const_cast<char*>("serve"),
                    const_cast<char*>(cfg_path.c_str()), nullptr};
    const std::string log_path = dir + "/registry.log";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (::posix_spawnp(&pid_, "docker-registry", &actions, nullptr, argv, environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~LocalRegistry() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  bool ok() const { return pid_ > 0; }
  int port() const { return port_; }
  const std::string& addr() const { return addr_; }  // "127.0.0.1:PORT"

 private:
  int port_;
  std::string addr_;
  pid_t pid_ = 0;
};

}  // namespace openeci::runtime::testing
