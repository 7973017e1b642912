// ContainerdProcess: OpenECI's own containerd, configured for CRI on this kind of machine.
//
// Start() writes containerd's config.toml and one CNI conflist under the state directory, then
// either adopts a containerd that a previous OpenECI process started there (OpenECI may have
// been SIGKILLed; pods must keep running, so containerd is never tied to OpenECI's lifetime) or
// spawns a new one in its own process group. It only returns once the CRI plugin answers
// Version and Status, and it imports the sandbox (pause) image from an archive when containerd
// does not have it yet. See /work/shared/reference/runtime-notes.md for why the config holds
// what it holds.
//
// Thread-safety: Start() is a factory; ExitReason(), Stop() and Detach() may be called from
// any thread but not concurrently with each other or with destruction.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace openeci::runtime {

struct ContainerdOptions {
  std::string containerd_bin = "containerd";
  std::string ctr_bin = "ctr";
  // All containerd state lives here: root/, state/, containerd.sock, config.toml,
  // containerd.log, containerd.pid. Required unless external_socket is set.
  std::string state_dir;
  std::string cni_bin_dir = "/usr/lib/cni";
  std::string cni_conf_dir;  // default: <state_dir>/cni/net.d
  std::string cni_data_dir;  // host-local IPAM dataDir; default: <state_dir>/cni/ipam
  std::string bridge_name = "openeci0";
  std::string subnet = "10.88.0.0/16";
  std::string sandbox_image = "localhost/openeci/pause:1.0";
  std::string sandbox_image_archive;  // imported when the image is absent; may be empty
  // OCI archives imported at every start (so that users can run images offline).
  std::vector<std::string> preload_image_archives;
  std::string external_socket;  // non-empty: use that containerd, start nothing
};

class ContainerdProcess {
 public:
  // Brings up (or adopts, or just checks, for external_socket) a containerd whose CRI plugin
  // is ready. Fails with a message naming containerd.log when containerd does not come up, and
  // with an explicit "CRI plugin not loaded" message when containerd answers without CRI.
  static StatusOr<std::unique_ptr<ContainerdProcess>> Start(const ContainerdOptions& options);

  ContainerdProcess(const ContainerdProcess&) = delete;
  ContainerdProcess& operator=(const ContainerdProcess&) = delete;
  // Calls Stop().
  ~ContainerdProcess();

  // Absolute path of the containerd gRPC socket (without "unix://").
  const std::string& socket_path() const { return socket_path_; }
  // containerd's pid; 0 for an external containerd or after Stop().
  pid_t pid() const { return pid_; }
  // True when Start() found this containerd already running and took it over.
  bool adopted() const { return adopted_; }

  // std::nullopt while the containerd this object started or adopted runs (and always for an
  // external one); once it has exited, how: "killed by signal 9", "exited with code 1", or
  // "exited" (an adopted one, not our child). Reaps it, and forgets it: Stop() is then a no-op.
  std::optional<std::string> ExitReason();

  // SIGTERM, wait up to 10 s, then SIGKILL. Running pods (shims) survive. Idempotent; a no-op
  // for an external containerd or after Detach().
  Status Stop();
  // Forgets the process without stopping it: a later Start() on the same state_dir adopts it.
  void Detach();

 private:
  ContainerdProcess(std::string socket_path, std::string state_dir, pid_t pid, bool adopted);

  std::string socket_path_;
  std::string state_dir_;  // empty for an external containerd
  pid_t pid_ = 0;
  bool adopted_ = false;
};

}  // namespace openeci::runtime
