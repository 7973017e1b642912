// VolumeManager: the node side of container-group volumes. Each volume of a group is a
// directory <root>/<group-id>/<volume-name> on the host, bind-mounted into the containers that
// name it (runtime::Mount):
//   * EmptyDirVolume: an empty directory (mode 0777, as kubelet makes it); Medium=Memory mounts
//     a tmpfs there, of SizeLimit bytes or else the group's memory, so that its pages are
//     charged to the memory cgroup of the container that writes them;
//   * ConfigFileVolume: the Base64-decoded files, with their Mode (else DefaultMode, else 0644);
//   * NFSVolume: mount(2) of server:path (NFS v4, read-only when asked). A kernel without NFS
//     (no "nfs" in /proc/filesystems) is reported as such, without trying.
// Volumes live as long as the group: a new sandbox (restart, vanished sandbox) finds its
// emptyDir data again; Remove unmounts and deletes everything once the group is deleted.
//
// The root itself is made a shared bind mount (Init), so that MountPropagation
// HostToContainer / Bidirectional work (containerd requires a shared or slave source mount).
//
// Everything is derived from the file system and /proc/self/mountinfo, nothing is kept in
// memory. Thread-safe for calls on different groups (the controller's work queue never hands
// one group to two workers); Init and ReleaseAll run alone, at start and at shutdown.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/model.h"
#include "runtime/runtime.h"

namespace openeci::controller {

struct VolumeManagerOptions {
  std::string root;                                   // e.g. <state>/volumes
  std::string proc_filesystems = "/proc/filesystems";  // the kernel's file system types
};

class VolumeManager {
 public:
  explicit VolumeManager(VolumeManagerOptions options);

  // Creates the root and makes it a shared bind mount of itself (once; idempotent).
  Status Init();

  // Makes every volume of the group exist on the host (idempotent: present directories and
  // mounts are kept, config files are written again). A volume that cannot be set up gives
  // kFailedPrecondition with api code "FailedMount" and a message naming the volume and why.
  Status Prepare(const std::string& group_id, const core::ContainerGroupSpec& spec);

  // The bind mounts of `container`'s VolumeMounts; SubPath directories are created inside the
  // volume (kFailedPrecondition "FailedMount" when one resolves outside it, e.g. a symlink).
  StatusOr<std::vector<runtime::Mount>> MountsFor(const std::string& group_id,
                                                  const core::ContainerGroupSpec& spec,
                                                  const core::ContainerSpec& container) const;

  // Unmounts everything under the group's directory (deepest first) and removes it. Nothing is
  // deleted while anything there is still mounted (so remote NFS data is never touched).
  Status Remove(const std::string& group_id);

  // The group IDs that have a directory under the root.
  std::vector<std::string> GroupIds() const;

  // At shutdown when the pods are stopped: unmounts every volume mount (tmpfs contents are
  // lost, as on a node reboot; disk emptyDirs stay) and the root's own bind mount.
  void ReleaseAll();

  std::string GroupDir(const std::string& group_id) const;
  std::string VolumeDir(const std::string& group_id, const std::string& volume) const;

  // The mount(2) data of an NFS volume whose server resolved to `address` (exposed for tests).
  static std::string NfsMountData(const std::string& address);

 private:
  Status PrepareVolume(const std::string& dir, const core::VolumeSpec& volume,
                       const core::ContainerGroupSpec& spec);
  Status PrepareEmptyDir(const std::string& dir, const core::VolumeSpec& volume,
                         const core::ContainerGroupSpec& spec);
  Status PrepareConfigFiles(const std::string& dir, const core::VolumeSpec& volume);
  Status PrepareNfs(const std::string& dir, const core::VolumeSpec& volume);
  bool KernelSupports(const std::string& fs_type) const;

  const VolumeManagerOptions options_;
};

// Mount points at or below `dir` (from /proc/self/mountinfo), deepest first.
std::vector<std::string> MountsUnder(const std::string& dir);

}  // namespace openeci::controller
