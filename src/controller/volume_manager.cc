#include "controller/volume_manager.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/volumes.h"

namespace openeci::controller {
namespace {

namespace fs = std::filesystem;

Status FailedMount(const std::string& volume, const std::string& why) {
  return Status(StatusClass::kFailedPrecondition, "FailedMount",
                "MountVolume.SetUp failed for volume \"" + volume + "\" : " + why);
}

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo.
std::string UnescapeMountPath(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool octal = true;
      for (size_t j = 1; j <= 3 && octal; ++j) {
        octal = s[i + j] >= '0' && s[i + j] <= '7';
        v = v * 8 + (s[i + j] - '0');
      }
      if (octal) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

bool IsMountPoint(const std::string& dir) {
  for (const std::string& m : MountsUnder(dir)) {
    if (m == dir) return true;
  }
  return false;
}

// Whether `path` resolves (symlinks followed) to `dir` or below it.
bool ResolvesInside(const std::string& path, const std::string& dir) {
  std::error_code ec;
  fs::path real = fs::weakly_canonical(path, ec);
  if (ec) return false;
  fs::path base = fs::weakly_canonical(dir, ec);
  if (ec) return false;
  std::string r = real.string(), b = base.string();
  return r == b || r.rfind(b + "/", 0) == 0;
}

runtime::Mount::Propagation PropagationOf(const std::string& name) {
  if (name == "HostToContainer") return runtime::Mount::Propagation::kHostToContainer;
  if (name == "Bidirectional") return runtime::Mount::Propagation::kBidirectional;
  return runtime::Mount::Propagation::kPrivate;
}

const core::VolumeSpec* FindVolume(const core::ContainerGroupSpec& spec, const std::string& name) {
  for (const auto& v : spec.volumes) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

// Writes `content` to `path` with `mode` through a temporary file and rename, never following a
// symlink a container may have put there.
Status WriteFileAtomically(const std::string& path, const std::string& content, int mode) {
  std::string tmp = path + ".openeci-tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return InternalError(Errno(("creating " + tmp).c_str()));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string err = Errno("writing");
      ::close(fd);
      return InternalError(err);
    }
    done += static_cast<size_t>(n);
  }
  ::fchmod(fd, static_cast<mode_t>(mode));
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return InternalError(Errno("renaming"));
  return Status::Ok();
}

// The first address `host` resolves to, as text (IPv6 without brackets).
StatusOr<std::string> Resolve(const std::string& host) {
  std::string name = host;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return UnavailableError("cannot resolve NFS server \"" + host + "\": " + gai_strerror(rc));
  }
  char text[INET6_ADDRSTRLEN] = {};
  const void* addr = found->ai_family == AF_INET6
                         ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr)
                         : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr);
  ::inet_ntop(found->ai_family, addr, text, sizeof(text));
  ::freeaddrinfo(found);
  return std::string(text);
}

}  // namespace

std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> found;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    if (!(fields >> id >> parent >> devno >> root >> mount_point)) continue;
    mount_point = UnescapeMountPath(mount_point);
    if (mount_point == dir || mount_point.rfind(dir + "/", 0) == 0) found.push_back(mount_point);
  }
  std::sort(found.begin(), found.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return found;
}

// The root as /proc/self/mountinfo spells it: absolute, without symlinks or "..".
static VolumeManagerOptions Canonical(VolumeManagerOptions options) {
  std::error_code ec;
  fs::path root = fs::weakly_canonical(fs::absolute(options.root, ec), ec);
  if (!ec) options.root = root.string();
  while (options.root.size() > 1 && options.root.back() == '/') options.root.pop_back();
  return options;
}

VolumeManager::VolumeManager(VolumeManagerOptions options)
    : options_(Canonical(std::move(options))) {}

std::string VolumeManager::GroupDir(const std::string& group_id) const {
  return options_.root + "/" + group_id;
}

std::string VolumeManager::VolumeDir(const std::string& group_id,
                                     const std::string& volume) const {
  return GroupDir(group_id) + "/" + volume;
}

Status VolumeManager::Init() {
  std::error_code ec;
  fs::create_directories(options_.root, ec);
  if (ec) return InternalError("creating " + options_.root + ": " + ec.message());
  if (!IsMountPoint(options_.root) &&
      ::mount(options_.root.c_str(), options_.root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return InternalError(Errno(("bind-mounting " + options_.root).c_str()));
  }
  if (::mount(nullptr, options_.root.c_str(), nullptr, MS_SHARED | MS_REC, nullptr) != 0) {
    return InternalError(Errno(("making " + options_.root + " a shared mount").c_str()));
  }
  return Status::Ok();
}

Status VolumeManager::Prepare(const std::string& group_id, const core::ContainerGroupSpec& spec) {
  if (spec.volumes.empty()) return Status::Ok();
  std::error_code ec;
  fs::create_directories(GroupDir(group_id), ec);
  if (ec) return InternalError("creating " + GroupDir(group_id) + ": " + ec.message());
  for (const core::VolumeSpec& v : spec.volumes) {
    RETURN_IF_ERROR(PrepareVolume(VolumeDir(group_id, v.name), v, spec));
  }
  return Status::Ok();
}

Status VolumeManager::PrepareVolume(const std::string& dir, const core::VolumeSpec& volume,
                                    const core::ContainerGroupSpec& spec) {
  if (volume.type == core::kNfsVolume) return PrepareNfs(dir, volume);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return FailedMount(volume.name, "creating " + dir + ": " + ec.message());
  if (volume.type == core::kEmptyDirVolume) return PrepareEmptyDir(dir, volume, spec);
  if (volume.type == core::kConfigFileVolume) return PrepareConfigFiles(dir, volume);
  return FailedMount(volume.name, "volume type " + volume.type + " is not supported");
}

Status VolumeManager::PrepareEmptyDir(const std::string& dir, const core::VolumeSpec& volume,
                                      const core::ContainerGroupSpec& spec) {
  if (!core::IsMemoryMedium(volume.empty_dir_medium)) {
    ::chmod(dir.c_str(), 0777);
    return Status::Ok();
  }
  if (IsMountPoint(dir)) return Status::Ok();
  int64_t size = static_cast<int64_t>(std::llround(spec.memory_gib * (1LL << 30)));
  if (auto limit = core::ParseQuantityBytes(volume.empty_dir_size_limit)) size = *limit;
  std::string data = "mode=0777";
  if (size > 0) data += ",size=" + std::to_string(size);
  if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, data.c_str()) != 0) {
    return FailedMount(volume.name, Errno("mounting a tmpfs"));
  }
  return Status::Ok();
}

Status VolumeManager::PrepareConfigFiles(const std::string& dir, const core::VolumeSpec& volume) {
  ::chmod(dir.c_str(), 0755);
  int default_mode = volume.config_file_default_mode.value_or(core::kDefaultConfigFileMode);
  for (const core::ConfigFileSpec& f : volume.config_files) {
    std::string path = dir + "/" + f.path;
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    if (ec || !ResolvesInside(fs::path(path).parent_path().string(), dir)) {
      return FailedMount(volume.name, "the directory of \"" + f.path + "\" is not inside the volume");
    }
    std::optional<std::string> content = core::DecodeBase64(f.content);
    if (!content) return FailedMount(volume.name, "the content of \"" + f.path + "\" is not Base64");
    Status st = WriteFileAtomically(path, *content, f.mode.value_or(default_mode));
    if (!st.ok()) return FailedMount(volume.name, st.message());
  }
  return Status::Ok();
}

bool VolumeManager::KernelSupports(const std::string& fs_type) const {
  std::ifstream in(options_.proc_filesystems);
  std::string line;
  while (std::getline(in, line)) {
    std::string name = line.substr(line.find_last_of(" \t") == std::string::npos
                                       ? 0
                                       : line.find_last_of(" \t") + 1);
    if (name == fs_type) return true;
  }
  return false;
}

std::string VolumeManager::NfsMountData(const std::string& address) {
  return "vers=4.0,addr=" + address + ",hard,timeo=600,retrans=2,noresvport";
}

Status VolumeManager::PrepareNfs(const std::string& dir, const core::VolumeSpec& volume) {
  bool nfs4 = KernelSupports("nfs4");
  if (!nfs4 && !KernelSupports("nfs")) {
    return FailedMount(volume.name,
                       "the kernel of this node does not support NFS (no nfs in " +
                           options_.proc_filesystems + ")");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return FailedMount(volume.name, "creating " + dir + ": " + ec.message());
  if (IsMountPoint(dir)) return Status::Ok();
  StatusOr<std::string> address = Resolve(volume.nfs_server);
  if (!address.ok()) return FailedMount(volume.name, address.status().message());
  std::string source = volume.nfs_server + ":" + volume.nfs_path;
  std::string data = NfsMountData(*address);
  unsigned long flags = MS_NOSUID | MS_NODEV | (volume.nfs_read_only ? MS_RDONLY : 0);
  if (::mount(source.c_str(), dir.c_str(), nfs4 ? "nfs4" : "nfs", flags, data.c_str()) != 0) {
    return FailedMount(volume.name, Errno(("mounting " + source).c_str()));
  }
  return Status::Ok();
}

StatusOr<std::vector<runtime::Mount>> VolumeManager::MountsFor(
    const std::string& group_id, const core::ContainerGroupSpec& spec,
    const core::ContainerSpec& container) const {
  std::vector<runtime::Mount> mounts;
  for (const core::VolumeMountSpec& m : container.volume_mounts) {
    const core::VolumeSpec* volume = FindVolume(spec, m.name);
    if (volume == nullptr) {
      return FailedMount(m.name, "the container group has no volume named \"" + m.name + "\"");
    }
    std::string dir = VolumeDir(group_id, m.name);
    std::string host = dir;
    if (!m.sub_path.empty()) {
      host = dir + "/" + m.sub_path;
      std::error_code ec;
      if (!fs::exists(fs::symlink_status(host, ec))) fs::create_directories(host, ec);
      if (ec || !ResolvesInside(host, dir)) {
        return FailedMount(m.name, "SubPath \"" + m.sub_path + "\" is not inside the volume");
      }
      host = fs::weakly_canonical(host, ec).string();
    }
    runtime::Mount mount;
    mount.host_path = host;
    mount.container_path = m.mount_path;
    mount.read_only = m.read_only;
    mount.propagation = PropagationOf(m.mount_propagation);
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

Status VolumeManager::Remove(const std::string& group_id) {
  std::string dir = GroupDir(group_id);
  for (const std::string& m : MountsUnder(dir)) {
    if (::umount2(m.c_str(), 0) != 0 && ::umount2(m.c_str(), MNT_DETACH) != 0 && errno != EINVAL) {
      return InternalError(Errno(("unmounting " + m).c_str()));
    }
  }
  if (!MountsUnder(dir).empty()) {
    return InternalError("volumes of " + group_id + " are still mounted under " + dir);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return InternalError("removing " + dir + ": " + ec.message());
  return Status::Ok();
}

std::vector<std::string> VolumeManager::GroupIds() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.root, ec)) {
    if (entry.is_directory(ec)) ids.push_back(entry.path().filename().string());
  }
  return ids;
}

void VolumeManager::ReleaseAll() {
  for (const std::string& m : MountsUnder(options_.root)) {
    if (::umount2(m.c_str(), MNT_DETACH) != 0) {
      spdlog::warn("volumes: unmounting {}: {}", m, std::strerror(errno));
    }
  }
}

}  // namespace openeci::controller
