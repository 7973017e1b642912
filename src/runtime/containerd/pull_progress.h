// PullProgressProbe: what containerd is downloading right now. CRI's PullImage blocks until
// the whole image is there and reports nothing meanwhile; containerd's content service lists
// the in-flight ingests (one per blob being fetched, named "layer-sha256:...",
// "manifest-sha256:...", "config-sha256:...") with the bytes received and the blob's size.
// Calls are made in CRI's containerd namespace (k8s.io).
//
// PullProgress turns successive snapshots of one image pull into a fraction of its layer
// bytes received.
//
// Thread-safety: PullProgressProbe is thread-safe (a gRPC stub). PullProgress is not: one
// pull, one owner.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace openeci::runtime {

// One in-flight ingest: `offset` of `total` bytes received (total 0: not known yet).
struct IngestStatus {
  std::string ref;
  int64_t offset = 0;
  int64_t total = 0;
};

class PullProgressProbe {
 public:
  // Does not dial: the first Active() does. `containerd_socket` is a path or "unix://...".
  static StatusOr<std::unique_ptr<PullProgressProbe>> Connect(const std::string& containerd_socket);
  ~PullProgressProbe();
  PullProgressProbe(const PullProgressProbe&) = delete;
  PullProgressProbe& operator=(const PullProgressProbe&) = delete;

  // Every ingest in flight in the k8s.io namespace, whatever pull it belongs to.
  StatusOr<std::vector<IngestStatus>> Active();
  // Drops the ingest `ref` and its bytes. containerd keeps the partial download of a failed
  // pull to resume it; but it reports a download's offset only in 1 MiB steps, so a resumed
  // download that stalls again within its first MiB cannot be told from a left-over. Ok when
  // `ref` is not there (any more).
  Status Abort(const std::string& ref);

 private:
  struct Stub;
  explicit PullProgressProbe(std::unique_ptr<Stub> stub);
  std::unique_ptr<Stub> stub_;
};

// The byte progress of one image pull, fed with Active() snapshots taken while it runs. Only
// layer ingests count (manifests and configs are tiny). A layer seen earlier and absent from
// a later snapshot has been committed: it counts as fully received. Layers not started yet
// are unknown, so the fraction can only be an estimate; it never decreases.
class PullProgress {
 public:
  // Takes one snapshot; returns the fraction of the layer bytes seen so far that were
  // received, in [0, 1] and never less than the previous answer.
  double Update(const std::vector<IngestStatus>& active);
  // The layer refs that completed (vanished) in the last Update, with their sizes.
  const std::vector<IngestStatus>& just_completed() const { return just_completed_; }
  double fraction() const { return fraction_; }
  // Totals over the layers seen so far (a layer not started yet is not counted anywhere).
  int layers_seen() const { return static_cast<int>(layers_.size()); }
  int layers_done() const;
  int64_t bytes_received() const { return received_; }
  int64_t bytes_total() const { return total_; }

 private:
  struct Layer {
    int64_t offset = 0;
    int64_t total = 0;
    bool done = false;
  };
  std::map<std::string, Layer> layers_;
  std::vector<IngestStatus> just_completed_;
  double fraction_ = 0;
  int64_t received_ = 0;
  int64_t total_ = 0;
};

}  // namespace openeci::runtime
