#include "runtime/cri/cri_runtime.h"

#include <dirent.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "runtime/cri/api.grpc.pb.h"

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
constexpr seconds kSandboxTeardownDeadline(30);
constexpr std::chrono::minutes kPullDeadline(10);
constexpr const char* kCniResultsDir = "/var/lib/cni/results";

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

// rmdir `dir` and every cgroup below it, leaf first. A cgroup whose last process is still
// exiting reports EBUSY for a moment, so that is retried briefly. ENOENT is success.
void RemoveCgroupTree(const std::string& dir) {
  if (DIR* d = ::opendir(dir.c_str())) {
    std::vector<std::string> children;
    while (dirent* e = ::readdir(d)) {
      if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") != 0 &&
          std::strcmp(e->d_name, "..") != 0) {
        children.push_back(dir + "/" + e->d_name);
      }
    }
    ::closedir(d);
    for (const std::string& child : children) {
      RemoveCgroupTree(child);
    }
  }
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT || errno != EBUSY) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Removes <hierarchy><parent>/<id> for each id in every hierarchy, then the parent itself
// when it became empty (it is the group's own directory; a sibling sandbox keeps it busy).
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
      ::rmdir((mount + parent).c_str());  // fails harmlessly while anything else is inside
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

Status CriRuntime::PullImage(const std::string& image, const std::optional<RegistryAuth>& auth) {
  cri::PullImageRequest req;
  req.mutable_image()->set_image(image);
  if (auth.has_value()) {
    req.mutable_auth()->set_username(auth->username);
    req.mutable_auth()->set_password(auth->password);
  }
  cri::PullImageResponse resp;
  return FromGrpc(
      Invoke(*stubs_->image, &cri::ImageService::Stub::PullImage, req, &resp, kPullDeadline),
      "pull " + image);
}

StatusOr<std::string> CriRuntime::RunSandbox(const SandboxConfig& config) {
  cri::RunPodSandboxRequest req;
  FillSandboxConfig(config, req.mutable_config());
  req.set_runtime_handler("");  // the default handler: runc
  cri::RunPodSandboxResponse resp;
  grpc::Status s = Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::RunPodSandbox, req, &resp);
  if (!s.ok()) {
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
  cri::ListPodSandboxResponse resp;
  grpc::Status s = Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::ListPodSandbox,
                          cri::ListPodSandboxRequest(), &resp);
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
  c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      cri::CONTAINER);
  cri::LinuxContainerResources* r = c->mutable_linux()->mutable_resources();
  r->set_cpu_period(config.cpu_period);
  r->set_cpu_quota(config.cpu_quota);
  r->set_cpu_shares(config.cpu_shares);
  r->set_memory_limit_in_bytes(config.memory_limit_bytes);
  cri::CreateContainerResponse resp;
  grpc::Status s =
      Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::CreateContainer, req, &resp);
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
      Invoke(*stubs_->runtime, &cri::RuntimeService::Stub::StartContainer, req, &resp),
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

// --- Not implemented yet (logs/exec/metrics/image caches issue) ------------------------------

namespace openeci::runtime {
namespace {
Status NotYet(const char* what) {
  return Status(StatusClass::kInternal, "InternalError", std::string(what) + " is not implemented yet");
}
}  // namespace

StatusOr<ExecSyncResult> CriRuntime::ExecSync(const std::string&, const std::vector<std::string>&,
                                              int64_t) {
  return NotYet("ExecSync");
}
StatusOr<std::string> CriRuntime::Exec(const std::string&, const std::vector<std::string>&, bool,
                                       bool) {
  return NotYet("Exec");
}
Status CriRuntime::ReopenContainerLog(const std::string&) { return NotYet("ReopenContainerLog"); }
StatusOr<std::vector<SandboxStats>> CriRuntime::ListSandboxStats() {
  return NotYet("ListSandboxStats");
}
StatusOr<std::vector<ImageInfo>> CriRuntime::ListImages() { return NotYet("ListImages"); }
Status CriRuntime::RemoveImage(const std::string&) { return NotYet("RemoveImage"); }

}  // namespace openeci::runtime
