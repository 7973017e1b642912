#include "runtime/containerd/containerd_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "runtime/cri/cri_runtime.h"

namespace openeci::runtime {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kSocketWait = std::chrono::seconds(15);
constexpr auto kStopGrace = std::chrono::seconds(10);
constexpr auto kPollInterval = std::chrono::milliseconds(20);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `content` to `path` unless it already holds exactly that (keeps mtimes stable and
// avoids waking containerd's CNI config watcher for nothing).
Status WriteFileIfChanged(const std::string& path, const std::string& content) {
  std::error_code ec;
  if (fs::exists(path, ec) && ReadFile(path) == content) {
    return Status::Ok();
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.good()) {
      return InternalError("cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return InternalError("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status MakeDirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) {
    return InternalError("cannot create " + path + ": " + ec.message());
  }
  return Status::Ok();
}

// TOML basic strings and JSON strings share the escapes we need for paths and names.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string ContainerdConfig(const ContainerdOptions& o, const std::string& socket,
                             const std::string& cni_conf_dir) {
  const std::string cri = "[plugins.\"io.containerd.grpc.v1.cri\"";
  std::string c;
  c += "# Written by OpenECI (ContainerdProcess); rewritten on every start.\n";
  c += "version = 2\n";
  c += "root = " + Quote(o.state_dir + "/root") + "\n";
  c += "state = " + Quote(o.state_dir + "/state") + "\n";
  // Snapshotters and tracing we never use; skipping them makes startup quieter and faster.
  c += "disabled_plugins = [\"io.containerd.snapshotter.v1.aufs\", "
       "\"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.devmapper\", "
       "\"io.containerd.snapshotter.v1.zfs\", \"io.containerd.tracing.processor.v1.otlp\", "
       "\"io.containerd.internal.v1.tracing\"]\n\n";
  c += "[grpc]\n  address = " + Quote(socket) + "\n\n";
  c += "[ttrpc]\n  address = " + Quote(socket + ".ttrpc") + "\n\n";
  c += cri + "]\n";
  c += "  sandbox_image = " + Quote(o.sandbox_image) + "\n";
  // Required here: root lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj.
  c += "  restrict_oom_score_adj = true\n";
  c += "  stream_server_address = \"127.0.0.1\"\n";
  c += "  stream_server_port = \"0\"\n";
  c += "  enable_selinux = false\n\n";
  c += cri + ".containerd]\n";
  c += "  snapshotter = \"overlayfs\"\n";
  c += "  default_runtime_name = \"runc\"\n\n";
  c += cri + ".containerd.runtimes.runc]\n";
  c += "  runtime_type = \"io.containerd.runc.v2\"\n\n";
  c += cri + ".containerd.runtimes.runc.options]\n";
  c += "  SystemdCgroup = false\n\n";
  c += cri + ".cni]\n";
  c += "  bin_dir = " + Quote(o.cni_bin_dir) + "\n";
  c += "  conf_dir = " + Quote(cni_conf_dir) + "\n";
  c += "  max_conf_num = 1\n\n";
  // config_path only: registry.mirrors next to it makes the CRI plugin fail to load.
  c += cri + ".registry]\n";
  c += "  config_path = " + Quote(o.state_dir + "/certs.d") + "\n";
  return c;
}

std::string CniConflist(const ContainerdOptions& o, const std::string& cni_data_dir) {
  std::string j;
  j += "{\n";
  j += "  \"cniVersion\": \"1.0.0\",\n";
  j += "  \"name\": " + Quote(o.bridge_name) + ",\n";
  j += "  \"plugins\": [\n";
  j += "    {\n";
  j += "      \"type\": \"bridge\",\n";
  j += "      \"bridge\": " + Quote(o.bridge_name) + ",\n";
  j += "      \"isGateway\": true,\n";
  j += "      \"ipMasq\": true,\n";
  j += "      \"hairpinMode\": true,\n";
  j += "      \"ipam\": {\n";
  j += "        \"type\": \"host-local\",\n";
  j += "        \"ranges\": [[{\"subnet\": " + Quote(o.subnet) + "}]],\n";
  j += "        \"routes\": [{\"dst\": \"0.0.0.0/0\"}],\n";
  j += "        \"dataDir\": " + Quote(cni_data_dir) + "\n";
  j += "      }\n";
  j += "    },\n";
  j += "    {\"type\": \"portmap\", \"capabilities\": {\"portMappings\": true}}\n";
  j += "  ]\n";
  j += "}\n";
  return j;
}

bool SocketAnswers(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// The pid recorded in containerd.pid if it is alive and is a containerd started with our
// config file; 0 otherwise.
pid_t LiveContainerd(const std::string& pid_file, const std::string& config_path) {
  const std::string text = ReadFile(pid_file);
  const pid_t pid = static_cast<pid_t>(std::atol(text.c_str()));
  if (pid <= 1 || ::kill(pid, 0) != 0) {
    return 0;
  }
  std::string cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& ch : cmdline) {
    if (ch == '\0') {
      ch = ' ';
    }
  }
  if (cmdline.find("containerd") == std::string::npos ||
      cmdline.find(config_path) == std::string::npos) {
    return 0;
  }
  return pid;
}

std::string LogTail(const std::string& log_path, size_t max_bytes = 2000) {
  std::string log = ReadFile(log_path);
  if (log.size() > max_bytes) {
    log = log.substr(log.size() - max_bytes);
  }
  return log;
}

// Forks and execs argv with stdout and stderr on `out_fd` and stdin on `in_fd` (-1: inherit).
// `own_group` puts the child in its own process group, so a terminal Ctrl-C aimed at OpenECI
// does not reach it. Both fds stay open in the parent.
StatusOr<pid_t> ForkExec(const std::vector<std::string>& argv, int in_fd, int out_fd,
                         bool own_group) {
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    return InternalError(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    if (own_group) {
      ::setpgid(0, 0);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (in_fd >= 0) {
      ::dup2(in_fd, STDIN_FILENO);
    }
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(out_fd, STDERR_FILENO);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

// Runs argv to completion and returns its exit status and combined output.
StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    return InternalError(std::string("pipe: ") + std::strerror(errno));
  }
  StatusOr<pid_t> pid = ForkExec(argv, -1, pipefd[1], /*own_group=*/false);
  ::close(pipefd[1]);
  if (!pid.ok()) {
    ::close(pipefd[0]);
    return pid.status();
  }
  CommandResult result;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof(buf))) != 0) {
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    result.output.append(buf, static_cast<size_t>(n));
  }
  ::close(pipefd[0]);
  int wstatus = 0;
  while (::waitpid(*pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  return result;
}

StatusOr<pid_t> SpawnContainerd(const ContainerdOptions& o, const std::string& config_path,
                                const std::string& log_path) {
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return InternalError("cannot open " + log_path + ": " + std::strerror(errno));
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  StatusOr<pid_t> pid =
      ForkExec({o.containerd_bin, "--config", config_path}, null_fd, log_fd, /*own_group=*/true);
  ::close(log_fd);
  ::close(null_fd);
  return pid;
}

// True once `pid` is gone (or a zombie). Reaps it when it is our child, whether we spawned it
// in this Start() or spawned, detached and re-adopted it.
bool Exited(pid_t pid) {
  if (::waitpid(pid, nullptr, WNOHANG) == pid) {
    return true;
  }
  if (::kill(pid, 0) != 0) {
    return errno == ESRCH;
  }
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z') {
    return false;
  }
  ::waitpid(pid, nullptr, WNOHANG);  // it may have died since the first waitpid
  return true;
}

bool WaitExit(pid_t pid, Clock::duration limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (Exited(pid)) {
      return true;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return Exited(pid);
}

// Imports one OCI archive into CRI's namespace (idempotent: an image already there is kept).
Status ImportArchive(const ContainerdOptions& o, const std::string& socket,
                     const std::string& archive) {
  ASSIGN_OR_RETURN(CommandResult r, RunCommand({o.ctr_bin, "--address", socket, "-n", "k8s.io",
                                                "images", "import", archive}));
  if (r.exit_code != 0) {
    return InternalError("importing image archive " + archive + " failed (exit " +
                         std::to_string(r.exit_code) + "): " + r.output);
  }
  return Status::Ok();
}

// True when a failed CRI start-up check will not pass by waiting. While the CRI plugin loads
// its state it answers "server is not initialized yet" (gRPC Unknown, so an InternalError
// here): that one passes.
bool CriGaveUp(const Status& st) {
  return st.cls() == StatusClass::kInternal &&
         st.message().find("server is not initialized yet") == std::string::npos;
}

// Checks CRI, makes sure the sandbox image is there and imports the preloaded archives.
Status PrepareCri(const ContainerdOptions& o, const std::string& socket,
                  const std::string& log_hint) {
  ASSIGN_OR_RETURN(std::unique_ptr<CriRuntime> cri, CriRuntime::Connect(socket));
  Status ready = cri->CheckReady();
  if (!ready.ok()) {
    return Status(ready.cls(), ready.api_code(), ready.message() + log_hint);
  }
  ASSIGN_OR_RETURN(bool present, cri->ImageExists(o.sandbox_image));
  if (!present && !o.sandbox_image_archive.empty()) {
    RETURN_IF_ERROR(ImportArchive(o, socket, o.sandbox_image_archive));
    ASSIGN_OR_RETURN(present, cri->ImageExists(o.sandbox_image));
    if (!present) {
      return InternalError("imported " + o.sandbox_image_archive + " but containerd still has no " +
                           o.sandbox_image);
    }
  }
  for (const std::string& archive : o.preload_image_archives) {
    RETURN_IF_ERROR(ImportArchive(o, socket, archive));
  }
  return Status::Ok();
}

}  // namespace

ContainerdProcess::ContainerdProcess(std::string socket_path, std::string state_dir, pid_t pid,
                                     bool adopted)
    : socket_path_(std::move(socket_path)),
      state_dir_(std::move(state_dir)),
      pid_(pid),
      adopted_(adopted) {}

ContainerdProcess::~ContainerdProcess() { Stop(); }

StatusOr<std::unique_ptr<ContainerdProcess>> ContainerdProcess::Start(
    const ContainerdOptions& options) {
  if (!options.external_socket.empty()) {
    RETURN_IF_ERROR(PrepareCri(options, options.external_socket, ""));
    return std::unique_ptr<ContainerdProcess>(
        new ContainerdProcess(options.external_socket, "", 0, false));
  }
  if (options.state_dir.empty() || options.state_dir[0] != '/') {
    return InvalidParameter("ContainerdOptions.state_dir must be an absolute path");
  }
  ContainerdOptions o = options;
  const std::string cni_conf_dir =
      o.cni_conf_dir.empty() ? o.state_dir + "/cni/net.d" : o.cni_conf_dir;
  const std::string cni_data_dir =
      o.cni_data_dir.empty() ? o.state_dir + "/cni/ipam" : o.cni_data_dir;
  const std::string socket = o.state_dir + "/containerd.sock";
  const std::string config_path = o.state_dir + "/config.toml";
  const std::string log_path = o.state_dir + "/containerd.log";
  const std::string pid_file = o.state_dir + "/containerd.pid";
  // A unix socket path is limited to 108 bytes.
  if (socket.size() + sizeof(".ttrpc") > sizeof(sockaddr_un{}.sun_path)) {
    return InvalidParameter("state_dir too long for a unix socket path: " + o.state_dir);
  }

  for (const std::string& dir : {o.state_dir, o.state_dir + "/root", o.state_dir + "/state",
                                 o.state_dir + "/certs.d", cni_conf_dir, cni_data_dir}) {
    RETURN_IF_ERROR(MakeDirs(dir));
  }
  RETURN_IF_ERROR(WriteFileIfChanged(config_path, ContainerdConfig(o, socket, cni_conf_dir)));
  RETURN_IF_ERROR(WriteFileIfChanged(cni_conf_dir + "/10-openeci.conflist",
                                     CniConflist(o, cni_data_dir)));
  const std::string log_hint = " (see " + log_path + ")";

  // Adopt the containerd a previous OpenECI left running, if it still answers CRI.
  if (pid_t live = LiveContainerd(pid_file, config_path); live != 0 && SocketAnswers(socket)) {
    Status st = PrepareCri(o, socket, log_hint);
    if (st.ok()) {
      return std::unique_ptr<ContainerdProcess>(
          new ContainerdProcess(socket, o.state_dir, live, true));
    }
    // Alive but unusable: replace it.
    ::kill(live, SIGTERM);
    if (!WaitExit(live, kStopGrace)) {
      ::kill(live, SIGKILL);
      WaitExit(live, kStopGrace);
    }
  }

  ::unlink(socket.c_str());
  ::unlink((socket + ".ttrpc").c_str());
  ASSIGN_OR_RETURN(pid_t pid, SpawnContainerd(o, config_path, log_path));
  // From here on the object owns the child: every failure path stops it.
  std::unique_ptr<ContainerdProcess> proc(
      new ContainerdProcess(socket, o.state_dir, pid, false));
  RETURN_IF_ERROR(WriteFileIfChanged(pid_file, std::to_string(pid) + "\n"));

  const auto deadline = Clock::now() + kSocketWait;
  while (!SocketAnswers(socket)) {
    if (Exited(pid)) {
      proc->pid_ = 0;
      return InternalError("containerd exited during startup" + log_hint + ":\n" +
                           LogTail(log_path));
    }
    if (Clock::now() >= deadline) {
      return UnavailableError("containerd did not open " + socket + " within 15 s" + log_hint);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  Status st = PrepareCri(o, socket, log_hint);
  // The CRI plugin reports NetworkReady a moment after the socket opens; give it the rest of
  // the startup budget.
  while (!st.ok() && !CriGaveUp(st) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    st = PrepareCri(o, socket, log_hint);
  }
  if (!st.ok()) {
    return st;
  }
  return proc;
}

Status ContainerdProcess::Stop() {
  if (pid_ == 0 || state_dir_.empty()) {
    return Status::Ok();
  }
  const pid_t pid = pid_;
  pid_ = 0;
  if (::kill(pid, SIGTERM) != 0 && errno == ESRCH) {
    Exited(pid);  // reap a zombie child
  } else if (!WaitExit(pid, kStopGrace)) {
    ::kill(pid, SIGKILL);
    if (!WaitExit(pid, kStopGrace)) {
      return InternalError("containerd (pid " + std::to_string(pid) + ") survived SIGKILL");
    }
  }
  ::unlink((state_dir_ + "/containerd.pid").c_str());
  ::unlink(socket_path_.c_str());
  ::unlink((socket_path_ + ".ttrpc").c_str());
  return Status::Ok();
}

std::optional<std::string> ContainerdProcess::ExitReason() {
  if (pid_ == 0 || state_dir_.empty()) return std::nullopt;
  int wstatus = 0;
  std::string how;
  if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
    how = WIFSIGNALED(wstatus) ? "killed by signal " + std::to_string(WTERMSIG(wstatus))
                               : "exited with code " + std::to_string(WEXITSTATUS(wstatus));
  } else if (Exited(pid_)) {
    how = "exited";
  } else {
    return std::nullopt;
  }
  pid_ = 0;
  return how;
}

void ContainerdProcess::Detach() { pid_ = 0; }

}  // namespace openeci::runtime
