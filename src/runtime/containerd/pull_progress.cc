#include "runtime/containerd/pull_progress.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>

#include "runtime/containerd/content.grpc.pb.h"

namespace openeci::runtime {
namespace {

namespace content = containerd::services::content::v1;

// The namespace CRI keeps its images in.
constexpr char kNamespace[] = "k8s.io";
constexpr auto kTimeout = std::chrono::seconds(5);

bool IsLayer(const std::string& ref) { return ref.rfind("layer-", 0) == 0; }

}  // namespace

struct PullProgressProbe::Stub {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<content::Content::Stub> content;
};

StatusOr<std::unique_ptr<PullProgressProbe>> PullProgressProbe::Connect(
    const std::string& containerd_socket) {
  if (containerd_socket.empty()) {
    return InvalidParameter("PullProgressProbe::Connect: empty socket path");
  }
  const std::string target =
      containerd_socket.rfind("unix:", 0) == 0 ? containerd_socket : "unix://" + containerd_socket;
  auto stub = std::make_unique<Stub>();
  grpc::ChannelArguments args;
  // As CriRuntime's channel: back within a second of a containerd restart (ContainerdSupervisor).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  stub->channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  stub->content = content::Content::NewStub(stub->channel);
  return std::unique_ptr<PullProgressProbe>(new PullProgressProbe(std::move(stub)));
}

PullProgressProbe::PullProgressProbe(std::unique_ptr<Stub> stub) : stub_(std::move(stub)) {}

PullProgressProbe::~PullProgressProbe() = default;

StatusOr<std::vector<IngestStatus>> PullProgressProbe::Active() {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kTimeout);
  ctx.AddMetadata("containerd-namespace", kNamespace);
  content::ListStatusesRequest req;
  content::ListStatusesResponse resp;
  grpc::Status s = stub_->content->ListStatuses(&ctx, req, &resp);
  if (!s.ok()) {
    return UnavailableError("containerd content ListStatuses: " + s.error_message());
  }
  std::vector<IngestStatus> out;
  out.reserve(resp.statuses_size());
  for (const content::Status& st : resp.statuses()) {
    out.push_back(IngestStatus{st.ref(), st.offset(), st.total()});
  }
  return out;
}

Status PullProgressProbe::Abort(const std::string& ref) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kTimeout);
  ctx.AddMetadata("containerd-namespace", kNamespace);
  content::AbortRequest req;
  req.set_ref(ref);
  content::AbortResponse resp;
  grpc::Status s = stub_->content->Abort(&ctx, req, &resp);
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) return Status::Ok();  // already gone
  if (!s.ok()) {
    return UnavailableError("containerd content Abort " + ref + ": " + s.error_message());
  }
  return Status::Ok();
}

double PullProgress::Update(const std::vector<IngestStatus>& active) {
  just_completed_.clear();
  for (auto& [ref, layer] : layers_) {
    if (layer.done) continue;
    // Captured through a plain reference: clang 14 (the fuzz build) cannot capture a binding.
    const std::string& layer_ref = ref;
    bool still = std::any_of(active.begin(), active.end(),
                             [&](const IngestStatus& s) { return s.ref == layer_ref; });
    if (!still) {
      layer.done = true;
      if (layer.total > 0) layer.offset = layer.total;
      just_completed_.push_back(IngestStatus{ref, layer.offset, layer.total});
    }
  }
  for (const IngestStatus& s : active) {
    if (!IsLayer(s.ref)) continue;
    Layer& layer = layers_[s.ref];
    if (layer.done) continue;  // a second fetch of the same blob: already counted
    layer.offset = std::max<int64_t>(layer.offset, std::max<int64_t>(0, s.offset));
    layer.total = std::max<int64_t>(layer.total, s.total);
  }
  int64_t received = 0;
  int64_t total = 0;
  for (const auto& [ref, layer] : layers_) {
    if (layer.total <= 0) continue;
    received += std::min(layer.offset, layer.total);
    total += layer.total;
  }
  received_ = received;
  total_ = total;
  if (total > 0) {
    fraction_ = std::max(fraction_, static_cast<double>(received) / static_cast<double>(total));
  }
  return fraction_;
}

int PullProgress::layers_done() const {
  return static_cast<int>(std::count_if(layers_.begin(), layers_.end(),
                                        [](const auto& entry) { return entry.second.done; }));
}

}  // namespace openeci::runtime
