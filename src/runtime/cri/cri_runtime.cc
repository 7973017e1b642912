#include "runtime/cri/cri_runtime.h"

#include <dirent.h>
#include <grpcpp/grpcpp.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "runtime/cri/api.grpc.pb.h"
#include "runtime/cri/net_dev.h"

namespace openeci::runtime {

namespace cri = ::runtime::v1;

struct CriRuntime::Stubs {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<cri::RuntimeService::Stub> runtime;
  std::unique_ptr<cri::ImageService::Stub> image;
};

namespace {

using std::chrono::seconds;

constexpr seconds kDefaultDeadline(10);
// Creating and starting sandboxes and containers spawns shims and runs CNI: on a loaded node
// this takes far longer than a lookup. Two minutes, like kubelet's runtime-request-timeout,
// so a busy machine makes creates slow instead of failing them with "context canceled".
constexpr std::chrono::minutes kCreateDeadline(2);
constexpr seconds kSandboxTeardownDeadline(30);
constexpr std::chrono::minutes kPullDeadline(10);
constexpr const char* kCniResultsDir = "/var/lib/cni/results";

// What an unprivileged container may not see or change (the defaults kubelet sends, from the
// OCI runtime spec's recommendations): kernel internals are masked, kernel tunables read-only.
constexpr std::string_view kMaskedPaths[] = {
    "/proc/acpi",          "/proc/asound",      "/proc/kcore",       "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list",  "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",          "/sys/firmware",     "/sys/devices/virtual/powercap"};
constexpr std::string_view kReadonlyPaths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                               "/proc/sysrq-trigger"};

// One unary RPC with a deadline; the gRPC status is returned as is.
template <typename Stub, typename Req, typename Resp>
grpc::Status Invoke(Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp,
                    std::chrono::system_clock::duration timeout = kDefaultDeadline) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  return (stub.*method)(&ctx, req, resp);
}

grpc::Status SandboxStatus(cri::RuntimeService::Stub& stub, const std::string& sandbox_id,
                           cri::PodSandboxStatusResponse* resp) {
  cri::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(sandbox_id);
  return Invoke(stub, &cri::RuntimeService::Stub::PodSandboxStatus, req, resp);
}

grpc::Status ContainerStatus(cri::RuntimeService::Stub& stub, const std::string& container_id,
                             cri::ContainerStatusResponse* resp) {
  cri::ContainerStatusRequest req;
  req.set_container_id(container_id);
  return Invoke(stub, &cri::RuntimeService::Stub::ContainerStatus, req, resp);
}

// Containers matching `filter` (by sandbox or by id).
grpc::Status ListCriContainers(cri::RuntimeService::Stub& stub, const cri::ContainerFilter& filter,
                               cri::ListContainersResponse* resp) {
  cri::ListContainersRequest req;
  *req.mutable_filter() = filter;
  return Invoke(stub, &cri::RuntimeService::Stub::ListContainers, req, resp);
}

Status FromGrpc(const grpc::Status& s, const std::string& what) {
  const std::string msg = what + ": " + s.error_message();
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
      return Status::Ok();
    case grpc::StatusCode::UNAVAILABLE:
      return UnavailableError(msg);
    case grpc::StatusCode::NOT_FOUND:
      return Status(StatusClass::kNotFound, "InvalidParameter.NotFound", msg);
    case grpc::StatusCode::UNIMPLEMENTED:
      return InternalError(msg + " (containerd answers, but its CRI plugin is not loaded: check"
                                 " the \"io.containerd.grpc.v1.cri\" lines of containerd's log)");
    default:
      return InternalError(msg);
  }
}

bool IsNotFound(const grpc::Status& s) { return s.error_code() == grpc::StatusCode::NOT_FOUND; }

Labels ToLabels(const google::protobuf::Map<std::string, std::string>& m) {
  Labels out(m.begin(), m.end());
  out.erase(kCgroupParentLabel);
  return out;
}

ContainerState ToState(cri::ContainerState s) {
  switch (s) {
    case cri::CONTAINER_CREATED:
      return ContainerState::kCreated;
    case cri::CONTAINER_RUNNING:
      return ContainerState::kRunning;
    case cri::CONTAINER_EXITED:
      return ContainerState::kExited;
    default:
      return ContainerState::kUnknown;
  }
}

SandboxState ToState(cri::PodSandboxState s) {
  return s == cri::SANDBOX_READY ? SandboxState::kReady : SandboxState::kNotReady;
}

void FillSandboxConfig(const SandboxConfig& in, cri::PodSandboxConfig* out) {
  cri::PodSandboxMetadata* md = out->mutable_metadata();
  md->set_name(in.name);
  md->set_uid(in.uid);
  md->set_namespace_(in.namespace_);
  md->set_attempt(in.attempt);
  out->set_hostname(in.hostname);
  out->set_log_directory(in.log_directory);
  cri::DNSConfig* dns = out->mutable_dns_config();
  for (const std::string& s : in.dns_servers) {
    dns->add_servers(s);
  }
  for (const std::string& s : in.dns_searches) {
    dns->add_searches(s);
  }
  for (const std::string& s : in.dns_options) {
    dns->add_options(s);
  }
  out->mutable_labels()->insert(in.labels.begin(), in.labels.end());
  if (!in.cgroup_parent.empty()) {
    (*out->mutable_labels())[kCgroupParentLabel] = in.cgroup_parent;
  }
  cri::LinuxPodSandboxConfig* linux = out->mutable_linux();
  linux->set_cgroup_parent(in.cgroup_parent);
  // Each container gets its own PID namespace, as in ECI and Kubernetes (CRI's default would
  // be one namespace for the whole pod).
  linux->mutable_security_context()->mutable_namespace_options()->set_pid(cri::CONTAINER);
  linux->mutable_sysctls()->insert(in.sysctls.begin(), in.sysctls.end());
}

ContainerInfo ToContainerInfo(const cri::ContainerStatus& s, const std::string& sandbox_id) {
  ContainerInfo c;
  c.id = s.id();
  c.sandbox_id = sandbox_id;
  c.name = s.metadata().name();
  c.attempt = s.metadata().attempt();
  c.image = s.image().image();
  c.state = ToState(s.state());
  c.labels = ToLabels(s.labels());
  c.created_at_ns = s.created_at();
  c.started_at_ns = s.started_at();
  c.finished_at_ns = s.finished_at();
  // containerd stamps started_at when the shim reports the start and finished_at from the exit
  // event, so a process that exits at once can "finish" ~1 ms before it "started".
  if (c.finished_at_ns != 0 && c.finished_at_ns < c.started_at_ns) {
    c.finished_at_ns = c.started_at_ns;
  }
  c.exit_code = s.exit_code();
  c.reason = s.reason();
  c.message = s.message();
  c.log_path = s.log_path();
  return c;
}

// Mount points of every cgroup v1 hierarchy and of the unified (v2) one.
std::vector<std::string> CgroupMounts() {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mounts");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string dev, dir, type;
    fields >> dev >> dir >> type;
    if (type == "cgroup" || type == "cgroup2") {
      out.push_back(dir);
    }
  }
  return out;
}

// The directories directly below `dir` (none when it cannot be read).
std::vector<std::string> ChildDirs(const std::string& dir) {
  std::vector<std::string> children;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") != 0 &&
          std::strcmp(e->d_name, "..") != 0) {
        children.push_back(dir + "/" + e->d_name);
      }
    }
    ::closedir(d);
  }
  return children;
}

// rmdir `dir` and every cgroup below it, leaf first. A cgroup whose last process is still
// exiting reports EBUSY for a moment, so that is retried briefly. ENOENT is success.
void RemoveCgroupTree(const std::string& dir) {
  for (const std::string& child : ChildDirs(dir)) {
    RemoveCgroupTree(child);
  }
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT || errno != EBUSY) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// rmdir every cgroup at and below `dir` that holds no process (nor a cgroup that does), leaf
// first, once each: EBUSY means in use, and such a directory stays.
void RemoveUnusedCgroupTree(const std::string& dir) {
  for (const std::string& child : ChildDirs(dir)) {
    RemoveUnusedCgroupTree(child);
  }
  ::rmdir(dir.c_str());
}

// Removes <hierarchy><parent>/<id> for each id in every hierarchy, then the parent itself with
// whatever unused cgroups are left below it (it is the group's own directory, where a sandbox
// whose creation was cut short may have left one; a sibling sandbox keeps it busy).
void RemoveCgroups(const std::string& parent, const std::vector<std::string>& ids,
                   bool remove_parent) {
  if (parent.empty() || parent == "/") {
    return;
  }
  for (const std::string& mount : CgroupMounts()) {
    for (const std::string& id : ids) {
      RemoveCgroupTree(mount + parent + "/" + id);
    }
    if (remove_parent) {
      RemoveUnusedCgroupTree(mount + parent);
    }
  }
}

void RemoveCniResults(const std::string& sandbox_id) {
  DIR* d = ::opendir(kCniResultsDir);
  if (d == nullptr) {
    return;
  }
  std::vector<std::string> doomed;
  while (dirent* e = ::readdir(d)) {
    if (std::strstr(e->d_name, sandbox_id.c_str()) != nullptr) {
      doomed.push_back(std::string(kCniResultsDir) + "/" + e->d_name);
    }
  }
  ::closedir(d);
  for (const std::string& path : doomed) {
    ::unlink(path.c_str());
  }
}

}  // namespace

StatusOr<std::unique_ptr<CriRuntime>> CriRuntime::Connect(const std::string& socket_path) {
  if (socket_path.empty()) {
    return InvalidParameter("CriRuntime::Connect: empty socket path");
  }
  const std::string target =
      socket_path.rfind("unix:", 0) == 0 ? socket_path : "unix://" + socket_path;
  auto stubs = std::make_unique<Stubs>();
  grpc::ChannelArguments args;
  // containerd sends large List responses on busy hosts.
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  // Reconnect quickly after containerd restarts (it is back within ~150 ms).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  stubs->channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  stubs->runtime = cri::RuntimeService::NewStub(stubs->channel);
  stubs->image = cri::ImageService::NewStub(stubs->channel);
  return std::unique_ptr<CriRuntime>(new CriRuntime(std::move(stubs)));
}

CriRuntime::CriRuntime(std::unique_ptr<Stubs> stubs) : stubs_(std::move(stubs)) {}

CriRuntime::~CriRuntime() = default;

Status CriRuntime::CheckReady() {
  ASSIGN_OR_RETURN(std::string version, Version());
  cri::StatusResponse resp;
  grpc::Status s =
      Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::Status, cri::StatusRequest(), &resp);
  if (!s.ok()) {
    return FromGrpc(s, "CRI Status");
  }
  for (const char* wanted : {"RuntimeReady", "NetworkReady"}) {
    bool found = false;
    for (const cri::RuntimeCondition& c : resp.status().conditions()) {
      if (c.type() != wanted) {
        continue;
      }
      found = true;
      if (!c.status()) {
        return UnavailableError(version + " is not " + wanted + ": " + c.reason() + ": " +
                                c.message());
      }
    }
    if (!found) {
      return UnavailableError(version + " reports no " + wanted + " condition");
    }
  }
  return Status::Ok();
}

StatusOr<std::string> CriRuntime::Version() {
  cri::VersionRequest req;
  req.set_version("v1");
  cri::VersionResponse resp;
  grpc::Status s = Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::Version, req, &resp);
  if (!s.ok()) {
    return FromGrpc(s, "CRI Version");
  }
  return resp.runtime_name() + " " + resp.runtime_version();
}

StatusOr<bool> CriRuntime::ImageExists(const std::string& image) {
  cri::ImageStatusRequest req;
  req.mutable_image()->set_image(image);
  cri::ImageStatusResponse resp;
  grpc::Status s = Invoke(*stubs_->image, &cri::ImageService::Stub::ImageStatus, req, &resp);
  if (IsNotFound(s)) {
    return false;
  }
  if (!s.ok()) {
    return FromGrpc(s, "ImageStatus " + image);
  }
  return resp.has_image() && !resp.image().id().empty();
}

Status CriRuntime::PullImage(const std::string& image, const std::optional<RegistryAuth>& auth,
                             Cancellation* cancel) {
  cri::PullImageRequest req;
  req.mutable_image()->set_image(image);
  if (auth.has_value()) {
    req.mutable_auth()->set_username(auth->username);
    req.mutable_auth()->set_password(auth->password);
  }
  cri::PullImageResponse resp;
  // Cancelling the call cancels containerd's side too: its registry requests share the RPC's
  // context, so a stalled download is dropped rather than left to the 10 min deadline.
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kPullDeadline);
  if (cancel != nullptr) cancel->SetAbort([&ctx] { ctx.TryCancel(); });
  const grpc::Status s = stubs_->image->PullImage(&ctx, req, &resp);
  if (cancel != nullptr) {
    cancel->ClearAbort();
    if (!s.ok() && !cancel->reason().empty()) {
      return UnavailableError("pull " + image + ": " + cancel->reason());
    }
  }
  return FromGrpc(s, "pull " + image);
}

StatusOr<std::string> CriRuntime::RunSandbox(const SandboxConfig& config) {
  cri::RunPodSandboxRequest req;
  FillSandboxConfig(config, req.mutable_config());
  req.set_runtime_handler("");  // the default handler: runc
  cri::RunPodSandboxResponse resp;
  grpc::Status s = Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::RunPodSandbox, req, &resp,
                          kCreateDeadline);
  if (!s.ok()) {
    // A refused sandbox (e.g. a sysctl its namespace lacks) leaves the group's cgroup
    // directory behind; the caller runs at most one sandbox per group, so none other uses it.
    RemoveCgroups(config.cgroup_parent, {}, /*remove_parent=*/true);
    return FromGrpc(s, "RunPodSandbox " + config.name);
  }
  if (!config.cgroup_parent.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    cgroup_parents_[resp.pod_sandbox_id()] = config.cgroup_parent;
  }
  return resp.pod_sandbox_id();
}

Status CriRuntime::StopSandbox(const std::string& sandbox_id) {
  cri::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(sandbox_id);
  cri::StopPodSandboxResponse resp;
  grpc::Status s = Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::StopPodSandbox, req,
                          &resp, kSandboxTeardownDeadline);
  if (IsNotFound(s)) {
    return Status::Ok();
  }
  return FromGrpc(s, "StopPodSandbox " + sandbox_id);
}

Status CriRuntime::SetSandboxHostname(const std::string& sandbox_id,
                                      const std::string& hostname) {
  const int pid = SandboxPidOf(sandbox_id);
  if (pid == 0) {
    return UnavailableError("sandbox " + sandbox_id + " has no known pause process");
  }
  const std::string ns = "/proc/" + std::to_string(pid) + "/ns/uts";
  const int fd = ::open(ns.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::lock_guard<std::mutex> lock(mu_);
    sandbox_pids_.erase(sandbox_id);  // the pause process is gone: ask CRI again next time
    return UnavailableError("cannot open " + ns + ": " + std::strerror(errno));
  }
  const pid_t child = ::fork();
  if (child == 0) {
    // Only async-signal-safe calls in the child of a multi-threaded process.
    if (::setns(fd, CLONE_NEWUTS) != 0) {
      ::_exit(1);
    }
    ::_exit(::sethostname(hostname.data(), hostname.size()) == 0 ? 0 : 2);
  }
  const int fork_errno = errno;
  ::close(fd);
  if (child < 0) {
    return InternalError(std::string("fork: ") + std::strerror(fork_errno));
  }
  int wstatus = 0;
  while (::waitpid(child, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return InternalError("setting hostname " + hostname + " in sandbox " + sandbox_id + " failed (" +
                         (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 1 ? "setns" : "sethostname") +
                         ")");
  }
  return Status::Ok();
}

std::string CriRuntime::CgroupParentOf(const std::string& sandbox_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cgroup_parents_.find(sandbox_id);
    if (it != cgroup_parents_.end()) {
      return it->second;
    }
  }
  cri::PodSandboxStatusResponse resp;
  if (!SandboxStatus(*stubs_->runtime, sandbox_id, &resp).ok()) {
    return "";
  }
  auto it = resp.status().labels().find(kCgroupParentLabel);
  if (it == resp.status().labels().end()) {
    return "";
  }
  std::lock_guard<std::mutex> lock(mu_);
  cgroup_parents_[sandbox_id] = it->second;
  return it->second;
}

Status CriRuntime::RemoveSandbox(const std::string& sandbox_id) {
  // Learn what to clean before CRI forgets the sandbox.
  const std::string parent = CgroupParentOf(sandbox_id);
  std::vector<std::string> cgroup_ids = {sandbox_id};
  cri::ContainerFilter filter;
  filter.set_pod_sandbox_id(sandbox_id);
  cri::ListContainersResponse list;
  grpc::Status s = ListCriContainers(*stubs_->runtime, filter, &list);
  if (!s.ok()) {
    return FromGrpc(s, "ListContainers of " + sandbox_id);
  }
  for (const cri::Container& c : list.containers()) {
    cgroup_ids.push_back(c.id());
  }

  cri::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(sandbox_id);
  cri::RemovePodSandboxResponse resp;
  s = Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::RemovePodSandbox, req, &resp,
             kSandboxTeardownDeadline);
  if (!s.ok() && !IsNotFound(s)) {
    return FromGrpc(s, "RemovePodSandbox " + sandbox_id);
  }
  RemoveCgroups(parent, cgroup_ids, /*remove_parent=*/true);
  RemoveCniResults(sandbox_id);
  std::lock_guard<std::mutex> lock(mu_);
  cgroup_parents_.erase(sandbox_id);
  sandbox_pids_.erase(sandbox_id);
  return Status::Ok();
}

Status CriRuntime::RemovePodCgroups(const std::string& cgroup_parent) {
  RemoveCgroups(cgroup_parent, {}, /*remove_parent=*/true);
  return Status::Ok();
}

StatusOr<SandboxInfo> CriRuntime::InspectSandbox(const std::string& sandbox_id) {
  cri::PodSandboxStatusResponse resp;
  grpc::Status s = SandboxStatus(*stubs_->runtime, sandbox_id, &resp);
  if (!s.ok()) {
    return FromGrpc(s, "PodSandboxStatus " + sandbox_id);
  }
  const cri::PodSandboxStatus& st = resp.status();
  SandboxInfo info;
  info.id = st.id();
  info.state = ToState(st.state());
  info.ip = st.network().ip();
  info.labels = ToLabels(st.labels());
  info.created_at_ns = st.created_at();
  return info;
}

StatusOr<std::vector<SandboxInfo>> CriRuntime::ListSandboxes() {
  return ListSandboxesWithLabels({});
}

StatusOr<std::vector<SandboxInfo>> CriRuntime::ListSandboxesWithLabels(const Labels& selector) {
  cri::ListPodSandboxRequest req;
  if (!selector.empty()) {
    req.mutable_filter()->mutable_label_selector()->insert(selector.begin(), selector.end());
  }
  cri::ListPodSandboxResponse resp;
  grpc::Status s =
      Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::ListPodSandbox, req, &resp);
  if (!s.ok()) {
    return FromGrpc(s, "ListPodSandbox");
  }
  std::vector<SandboxInfo> out;
  out.reserve(resp.items_size());
  for (const cri::PodSandbox& item : resp.items()) {
    // The list carries no IP; the status does.
    StatusOr<SandboxInfo> info = InspectSandbox(item.id());
    if (info.ok()) {
      out.push_back(std::move(info).value());
    } else if (info.status().cls() != StatusClass::kNotFound) {  // removed meanwhile
      return info.status();
    }
  }
  return out;
}

namespace {

cri::MountPropagation ToCri(Mount::Propagation p) {
  switch (p) {
    case Mount::Propagation::kHostToContainer:
      return cri::PROPAGATION_HOST_TO_CONTAINER;
    case Mount::Propagation::kBidirectional:
      return cri::PROPAGATION_BIDIRECTIONAL;
    case Mount::Propagation::kPrivate:
      break;
  }
  return cri::PROPAGATION_PRIVATE;
}

}  // namespace

StatusOr<std::string> CriRuntime::CreateContainer(const std::string& sandbox_id,
                                                  const ContainerConfig& config,
                                                  const SandboxConfig& sandbox) {
  cri::CreateContainerRequest req;
  req.set_pod_sandbox_id(sandbox_id);
  FillSandboxConfig(sandbox, req.mutable_sandbox_config());
  cri::ContainerConfig* c = req.mutable_config();
  c->mutable_metadata()->set_name(config.name);
  c->mutable_metadata()->set_attempt(config.attempt);
  c->mutable_image()->set_image(config.image);
  for (const std::string& arg : config.command) {
    c->add_command(arg);
  }
  for (const std::string& arg : config.args) {
    c->add_args(arg);
  }
  for (const auto& [key, value] : config.env) {
    cri::KeyValue* kv = c->add_envs();
    kv->set_key(key);
    kv->set_value(value);
  }
  c->set_working_dir(config.working_dir);
  c->mutable_labels()->insert(config.labels.begin(), config.labels.end());
  c->set_log_path(config.log_path);
  c->set_tty(config.tty);
  c->set_stdin(config.stdin_open);
  c->set_stdin_once(config.stdin_once);
  for (const Mount& m : config.mounts) {
    cri::Mount* mount = c->add_mounts();
    mount->set_host_path(m.host_path);
    mount->set_container_path(m.container_path);
    mount->set_readonly(m.read_only);
    mount->set_propagation(ToCri(m.propagation));
  }
  cri::LinuxContainerSecurityContext* sc = c->mutable_linux()->mutable_security_context();
  sc->mutable_namespace_options()->set_pid(cri::CONTAINER);
  if (config.run_as_user) sc->mutable_run_as_user()->set_value(*config.run_as_user);
  sc->set_readonly_rootfs(config.read_only_root_filesystem);
  // No privileges the group did not ask for: the runtime's default seccomp profile always, and
  // a process started as a non-root user cannot regain root through setuid files.
  sc->mutable_seccomp()->set_profile_type(cri::SecurityProfile::RuntimeDefault);
  sc->set_no_new_privs(config.run_as_user.has_value() && *config.run_as_user != 0);
  // containerd's CRI masks nothing unless the client names the paths, so send the set a
  // kubelet sends for an unprivileged container: /proc/sys and friends read-only, kernel
  // internals hidden.
  for (std::string_view path : kMaskedPaths) sc->add_masked_paths(std::string(path));
  for (std::string_view path : kReadonlyPaths) sc->add_readonly_paths(std::string(path));
  for (const std::string& cap : config.add_capabilities) {
    sc->mutable_capabilities()->add_add_capabilities(cap);
  }
  cri::LinuxContainerResources* r = c->mutable_linux()->mutable_resources();
  r->set_cpu_period(config.cpu_period);
  r->set_cpu_quota(config.cpu_quota);
  r->set_cpu_shares(config.cpu_shares);
  r->set_memory_limit_in_bytes(config.memory_limit_bytes);
  cri::CreateContainerResponse resp;
  grpc::Status s =
      Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::CreateContainer, req, &resp,
             kCreateDeadline);
  if (!s.ok()) {
    return FromGrpc(s, "CreateContainer " + config.name);
  }
  return resp.container_id();
}

Status CriRuntime::StartContainer(const std::string& container_id) {
  cri::StartContainerRequest req;
  req.set_container_id(container_id);
  cri::StartContainerResponse resp;
  return FromGrpc(
      Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::StartContainer, req, &resp,
             kCreateDeadline),
      "StartContainer " + container_id);
}

Status CriRuntime::StopContainer(const std::string& container_id, int64_t timeout_seconds) {
  cri::StopContainerRequest req;
  req.set_container_id(container_id);
  req.set_timeout(timeout_seconds);
  cri::StopContainerResponse resp;
  grpc::Status s =
      Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::StopContainer, req, &resp,
             seconds(std::max<int64_t>(timeout_seconds, 0)) + kDefaultDeadline);
  if (IsNotFound(s)) {
    return Status::Ok();
  }
  return FromGrpc(s, "StopContainer " + container_id);
}

StatusOr<std::string> CriRuntime::SandboxOfContainer(const std::string& container_id) {
  cri::ContainerFilter filter;
  filter.set_id(container_id);
  cri::ListContainersResponse resp;
  grpc::Status s = ListCriContainers(*stubs_->runtime, filter, &resp);
  if (!s.ok()) {
    return FromGrpc(s, "ListContainers " + container_id);
  }
  if (resp.containers_size() == 0) {
    return NotFoundError("InvalidParameter.NotFound", "container " + container_id + " not found");
  }
  return resp.containers(0).pod_sandbox_id();
}

Status CriRuntime::RemoveContainer(const std::string& container_id) {
  // CRI leaves the container's cgroup behind; find out where it is before removing.
  StatusOr<std::string> sandbox_id = SandboxOfContainer(container_id);
  const std::string parent = sandbox_id.ok() ? CgroupParentOf(*sandbox_id) : "";

  cri::RemoveContainerRequest req;
  req.set_container_id(container_id);
  cri::RemoveContainerResponse resp;
  grpc::Status s =
      Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::RemoveContainer, req, &resp);
  if (!s.ok() && !IsNotFound(s)) {
    return FromGrpc(s, "RemoveContainer " + container_id);
  }
  RemoveCgroups(parent, {container_id}, /*remove_parent=*/false);
  return Status::Ok();
}

StatusOr<ContainerInfo> CriRuntime::InspectContainer(const std::string& container_id) {
  ASSIGN_OR_RETURN(std::string sandbox_id, SandboxOfContainer(container_id));
  cri::ContainerStatusResponse resp;
  grpc::Status s = ContainerStatus(*stubs_->runtime, container_id, &resp);
  if (!s.ok()) {
    return FromGrpc(s, "ContainerStatus " + container_id);
  }
  return ToContainerInfo(resp.status(), sandbox_id);
}

StatusOr<std::vector<ContainerInfo>> CriRuntime::ListContainers(const std::string& sandbox_id) {
  cri::ContainerFilter filter;
  filter.set_pod_sandbox_id(sandbox_id);  // empty: every sandbox
  cri::ListContainersResponse list;
  grpc::Status s = ListCriContainers(*stubs_->runtime, filter, &list);
  if (!s.ok()) {
    return FromGrpc(s, "ListContainers");
  }
  std::vector<ContainerInfo> out;
  out.reserve(list.containers_size());
  for (const cri::Container& c : list.containers()) {
    // Exit code, reason, times and log path are only in the status.
    cri::ContainerStatusResponse resp;
    s = ContainerStatus(*stubs_->runtime, c.id(), &resp);
    if (IsNotFound(s)) {
      continue;  // removed meanwhile
    }
    if (!s.ok()) {
      return FromGrpc(s, "ContainerStatus " + c.id());
    }
    out.push_back(ToContainerInfo(resp.status(), c.pod_sandbox_id()));
  }
  return out;
}

}  // namespace openeci::runtime


// --- Exec, logs, stats and images ------------------------------------------------------------

namespace openeci::runtime {
namespace {

// containerd answers ExecSync when the command's own timeout fires; the gRPC deadline is a bit
// longer so that its answer (DEADLINE_EXCEEDED with its explanation) arrives first.
constexpr seconds kExecSyncSlack(5);
// ExecSync with no command timeout still gets a deadline: a probe must never hang a worker.
constexpr std::chrono::minutes kExecSyncMaxDeadline(10);

bool HasOption(const std::string& options, const std::string& wanted) {
  std::istringstream in(options);
  std::string opt;
  while (std::getline(in, opt, ',')) {
    if (opt == wanted) {
      return true;
    }
  }
  return false;
}

// Where memory.stat lives and which of its keys is the page cache: the v1 memory hierarchy
// ("total_cache" covers the cgroup's descendants, "cache" only itself), else the unified
// hierarchy ("file"). Read once: mounts do not move while we run.
struct MemoryHierarchy {
  std::string mount;
  std::vector<std::string> cache_keys;
};

const MemoryHierarchy& MemoryCgroup() {
  static const MemoryHierarchy kHierarchy = [] {
    MemoryHierarchy v1, v2;
    std::ifstream in("/proc/self/mounts");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string dev, dir, type, options;
      fields >> dev >> dir >> type >> options;
      if (type == "cgroup" && HasOption(options, "memory")) {
        v1 = {dir, {"total_cache", "cache"}};
      } else if (type == "cgroup2") {
        v2 = {dir, {"file"}};
      }
    }
    return v1.mount.empty() ? v2 : v1;
  }();
  return kHierarchy;
}

// Page-cache bytes of the cgroup at `cgroup_path` (absolute within the hierarchy); 0 when it
// cannot be read (no cgroup parent known, cgroup already gone).
uint64_t PageCacheBytes(const std::string& cgroup_path) {
  const MemoryHierarchy& h = MemoryCgroup();
  if (cgroup_path.empty() || h.mount.empty()) {
    return 0;
  }
  std::ifstream in(h.mount + cgroup_path + "/memory.stat");
  std::map<std::string, uint64_t> values;
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) {
    values[key] = value;
  }
  for (const std::string& wanted : h.cache_keys) {
    auto it = values.find(wanted);
    if (it != values.end()) {
      return it->second;
    }
  }
  return 0;
}

CpuStats ToCpuStats(const cri::CpuUsage& u) {
  CpuStats c;
  c.timestamp_ns = u.timestamp();
  c.usage_core_nanoseconds = u.usage_core_nano_seconds().value();
  c.usage_nano_cores = u.usage_nano_cores().value();
  return c;
}

MemoryStats ToMemoryStats(const cri::MemoryUsage& u) {
  MemoryStats m;
  m.timestamp_ns = u.timestamp();
  m.working_set_bytes = u.working_set_bytes().value();
  m.usage_bytes = u.usage_bytes().value();
  m.available_bytes = u.available_bytes().value();
  m.rss_bytes = u.rss_bytes().value();
  return m;
}

InterfaceStats ToInterfaceStats(const cri::NetworkInterfaceUsage& n) {
  InterfaceStats i;
  i.name = n.name();
  i.rx_bytes = n.rx_bytes().value();
  i.rx_errors = n.rx_errors().value();
  i.tx_bytes = n.tx_bytes().value();
  i.tx_errors = n.tx_errors().value();
  return i;
}

ContainerStats ToContainerStats(const cri::ContainerStats& s) {
  ContainerStats c;
  c.id = s.attributes().id();
  c.name = s.attributes().metadata().name();
  c.labels = ToLabels(s.attributes().labels());
  c.cpu = ToCpuStats(s.cpu());
  c.memory = ToMemoryStats(s.memory());
  return c;
}

// Pod totals as the sum of its containers, for when the runtime gives no pod-level numbers.
void SumContainers(SandboxStats& pod) {
  pod.cpu = CpuStats();
  pod.memory = MemoryStats();
  for (const ContainerStats& c : pod.containers) {
    pod.cpu.timestamp_ns = std::max(pod.cpu.timestamp_ns, c.cpu.timestamp_ns);
    pod.cpu.usage_core_nanoseconds += c.cpu.usage_core_nanoseconds;
    pod.cpu.usage_nano_cores += c.cpu.usage_nano_cores;
    pod.memory.timestamp_ns = std::max(pod.memory.timestamp_ns, c.memory.timestamp_ns);
    pod.memory.working_set_bytes += c.memory.working_set_bytes;
    pod.memory.usage_bytes += c.memory.usage_bytes;
    pod.memory.available_bytes += c.memory.available_bytes;
    pod.memory.rss_bytes += c.memory.rss_bytes;
  }
}

}  // namespace

StatusOr<ExecSyncResult> CriRuntime::ExecSync(const std::string& container_id,
                                              const std::vector<std::string>& command,
                                              int64_t timeout_seconds) {
  if (command.empty()) {
    return InvalidParameter("ExecSync in " + container_id + ": empty command");
  }
  cri::ExecSyncRequest req;
  req.set_container_id(container_id);
  for (const std::string& arg : command) {
    req.add_cmd(arg);
  }
  const int64_t timeout = std::max<int64_t>(timeout_seconds, 0);
  req.set_timeout(timeout);
  const std::chrono::system_clock::duration deadline =
      timeout > 0 ? std::chrono::system_clock::duration(seconds(timeout) + kExecSyncSlack)
                  : std::chrono::system_clock::duration(kExecSyncMaxDeadline);
  cri::ExecSyncResponse resp;
  grpc::Status s =
      Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::ExecSync, req, &resp, deadline);
  if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return UnavailableError("exec in container " + container_id + " did not finish within " +
                            (timeout > 0 ? "its timeout of " + std::to_string(timeout) + " s"
                                         : std::string("the maximum exec time")) +
                            ": " + s.error_message());
  }
  if (!s.ok()) {
    return FromGrpc(s, "ExecSync in " + container_id);
  }
  ExecSyncResult result;
  result.exit_code = resp.exit_code();
  result.stdout_data = resp.stdout();
  result.stderr_data = resp.stderr();
  return result;
}

StatusOr<std::string> CriRuntime::Exec(const std::string& container_id,
                                       const std::vector<std::string>& command, bool tty,
                                       bool stdin_open) {
  if (command.empty()) {
    return InvalidParameter("Exec in " + container_id + ": empty command");
  }
  cri::ExecRequest req;
  req.set_container_id(container_id);
  for (const std::string& arg : command) {
    req.add_cmd(arg);
  }
  req.set_tty(tty);
  req.set_stdin(stdin_open);
  req.set_stdout(true);
  req.set_stderr(!tty);  // a TTY has one combined output stream
  cri::ExecResponse resp;
  grpc::Status s = Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::Exec, req, &resp);
  if (!s.ok()) {
    return FromGrpc(s, "Exec in " + container_id);
  }
  return resp.url();
}

Status CriRuntime::ReopenContainerLog(const std::string& container_id) {
  cri::ReopenContainerLogRequest req;
  req.set_container_id(container_id);
  cri::ReopenContainerLogResponse resp;
  return FromGrpc(
      Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::ReopenContainerLog, req, &resp),
      "ReopenContainerLog " + container_id);
}

void CriRuntime::FillCpuRate(const std::string& id, CpuStats& cpu) {
  if (cpu.timestamp_ns == 0) {
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  CpuStats& prev = cpu_samples_[id];
  if (cpu.usage_nano_cores == 0 && prev.timestamp_ns != 0 && cpu.timestamp_ns > prev.timestamp_ns &&
      cpu.usage_core_nanoseconds >= prev.usage_core_nanoseconds) {
    const long double used = cpu.usage_core_nanoseconds - prev.usage_core_nanoseconds;
    const long double elapsed = cpu.timestamp_ns - prev.timestamp_ns;
    cpu.usage_nano_cores = static_cast<uint64_t>(used * 1e9L / elapsed);
  }
  prev = cpu;
}

int CriRuntime::SandboxPidOf(const std::string& sandbox_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sandbox_pids_.find(sandbox_id);
    if (it != sandbox_pids_.end()) {
      return it->second;
    }
  }
  cri::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(sandbox_id);
  req.set_verbose(true);
  cri::PodSandboxStatusResponse resp;
  if (!Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::PodSandboxStatus, req, &resp).ok()) {
    return 0;
  }
  auto info = resp.info().find("info");
  if (info == resp.info().end()) {
    return 0;
  }
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(info->second, ec);
  const boost::json::value* pid =
      (!ec && v.is_object()) ? v.as_object().if_contains("pid") : nullptr;
  if (pid == nullptr || !pid->is_int64() || pid->as_int64() <= 0 ||
      pid->as_int64() > std::numeric_limits<int>::max()) {
    return 0;
  }
  std::lock_guard<std::mutex> lock(mu_);
  sandbox_pids_[sandbox_id] = static_cast<int>(pid->as_int64());
  return static_cast<int>(pid->as_int64());
}

void CriRuntime::FillInterfacesFromNetNs(SandboxStats& pod) {
  const int pid = SandboxPidOf(pod.id);
  if (pid == 0) {
    return;
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/net/dev");
  if (!in) {
    // The pause process is gone: ask CRI again next time.
    std::lock_guard<std::mutex> lock(mu_);
    sandbox_pids_.erase(pod.id);
    return;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<InterfaceStats> interfaces = ParseNetDev(text.str());
  if (!interfaces.empty()) {
    pod.interfaces = std::move(interfaces);
  }
}

StatusOr<std::vector<ContainerStats>> CriRuntime::ContainerStatsOf(const std::string& sandbox_id) {
  cri::ListContainerStatsRequest req;
  req.mutable_filter()->set_pod_sandbox_id(sandbox_id);
  cri::ListContainerStatsResponse resp;
  grpc::Status s =
      Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::ListContainerStats, req, &resp);
  if (!s.ok()) {
    return FromGrpc(s, "ListContainerStats of " + sandbox_id);
  }
  std::vector<ContainerStats> out;
  for (const cri::ContainerStats& c : resp.stats()) {
    out.push_back(ToContainerStats(c));
  }
  return out;
}

StatusOr<std::vector<SandboxStats>> CriRuntime::ListSandboxStats() {
  std::vector<SandboxStats> out;
  cri::ListPodSandboxStatsResponse resp;
  grpc::Status s = Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::ListPodSandboxStats,
                          cri::ListPodSandboxStatsRequest(), &resp);
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return FromGrpc(s, "ListPodSandboxStats");
  }
  if (s.ok()) {
    for (const cri::PodSandboxStats& ps : resp.stats()) {
      SandboxStats pod;
      pod.id = ps.attributes().id();
      pod.labels = ToLabels(ps.attributes().labels());
      const cri::LinuxPodSandboxStats& lx = ps.linux();
      pod.cpu = ToCpuStats(lx.cpu());
      pod.memory = ToMemoryStats(lx.memory());
      if (lx.network().has_default_interface()) {
        pod.interfaces.push_back(ToInterfaceStats(lx.network().default_interface()));
      }
      for (const cri::NetworkInterfaceUsage& n : lx.network().interfaces()) {
        pod.interfaces.push_back(ToInterfaceStats(n));
      }
      for (const cri::ContainerStats& c : lx.containers()) {
        pod.containers.push_back(ToContainerStats(c));
      }
      out.push_back(std::move(pod));
    }
  } else {
    // One broken sandbox (e.g. one without a cgroup parent) fails containerd's whole list:
    // fall back to the ready sandboxes one by one, from their containers' stats.
    cri::ListPodSandboxRequest req;
    req.mutable_filter()->mutable_state()->set_state(cri::SANDBOX_READY);
    cri::ListPodSandboxResponse list;
    s = Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::ListPodSandbox, req, &list);
    if (!s.ok()) {
      return FromGrpc(s, "ListPodSandbox");
    }
    for (const cri::PodSandbox& item : list.items()) {
      SandboxStats pod;
      pod.id = item.id();
      pod.labels = ToLabels(item.labels());
      out.push_back(std::move(pod));
    }
  }

  std::set<std::string> seen;
  for (SandboxStats& pod : out) {
    // containerd 1.6 gives pod-level numbers only for sandboxes with a cgroup parent.
    if (pod.cpu.timestamp_ns == 0 || pod.containers.empty()) {
      StatusOr<std::vector<ContainerStats>> containers = ContainerStatsOf(pod.id);
      if (containers.ok()) {
        pod.containers = std::move(containers).value();
      }
      if (pod.cpu.timestamp_ns == 0) {
        SumContainers(pod);
      }
    }
    const std::string parent = CgroupParentOf(pod.id);
    for (ContainerStats& c : pod.containers) {
      c.memory.cache_bytes = parent.empty() ? 0 : PageCacheBytes(parent + "/" + c.id);
      FillCpuRate(c.id, c.cpu);
      seen.insert(c.id);
    }
    pod.memory.cache_bytes = PageCacheBytes(parent);
    FillInterfacesFromNetNs(pod);
    FillCpuRate(pod.id, pod.cpu);
    seen.insert(pod.id);
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(cpu_samples_, [&](const auto& entry) { return seen.count(entry.first) == 0; });
  return out;
}

StatusOr<std::vector<ImageInfo>> CriRuntime::ListImages() {
  cri::ListImagesResponse resp;
  grpc::Status s = Invoke(*stubs_->image, &cri::ImageService::Stub::ListImages,
                          cri::ListImagesRequest(), &resp);
  if (!s.ok()) {
    return FromGrpc(s, "ListImages");
  }
  std::vector<ImageInfo> out;
  out.reserve(resp.images_size());
  for (const cri::Image& image : resp.images()) {
    ImageInfo info;
    info.id = image.id();
    info.repo_tags.assign(image.repo_tags().begin(), image.repo_tags().end());
    info.size_bytes = image.size();
    out.push_back(std::move(info));
  }
  return out;
}

Status CriRuntime::RemoveImage(const std::string& image) {
  cri::ImageStatusRequest status_req;
  status_req.mutable_image()->set_image(image);
  cri::ImageStatusResponse status;
  grpc::Status s =
      Invoke(*stubs_->image, &cri::ImageService::Stub::ImageStatus, status_req, &status);
  if (IsNotFound(s) || (s.ok() && status.image().id().empty())) {
    return Status::Ok();  // already absent
  }
  if (!s.ok()) {
    return FromGrpc(s, "ImageStatus " + image);
  }
  cri::RemoveImageRequest req;
  req.mutable_image()->set_image(status.image().id());
  cri::RemoveImageResponse resp;
  s = Invoke(*stubs_->image, &cri::ImageService::Stub::RemoveImage, req, &resp);
  if (IsNotFound(s)) {
    return Status::Ok();
  }
  return FromGrpc(s, "RemoveImage " + image);
}

}  // namespace openeci::runtime
