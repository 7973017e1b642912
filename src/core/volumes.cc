#include "core/volumes.h"

#include <cctype>
#include <cmath>
#include <set>
#include <string_view>
#include <vector>

namespace openeci::core {
namespace {

Status Missing(const std::string& param) {
  return MissingParameter("The input parameter \"" + param +
                          "\" that is mandatory for processing this request is not supplied.");
}

Status Invalid(const std::string& param, const std::string& why) {
  return InvalidParameter("The parameter \"" + param + "\" " + why + ".");
}

// Lower-case letters, digits and hyphens, 1 to 63, not starting or ending with a hyphen: a
// Kubernetes volume name, and a safe directory name on the host.
bool IsVolumeName(const std::string& s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// An absolute path without "." or ".." components (MountPath).
bool IsCleanAbsolutePath(const std::string& path) {
  if (path.empty() || path[0] != '/' || path.find('\0') != std::string::npos) return false;
  for (std::string_view part : Components(std::string_view(path).substr(1))) {
    if (part == "." || part == "..") return false;
  }
  return true;
}

std::string TrimSlashes(const std::string& path) {
  size_t end = path.find_last_not_of('/');
  return end == std::string::npos ? "" : path.substr(0, end + 1);
}

// Host names, IPv4 and bracketed IPv6 addresses: nothing that could add mount options.
bool IsServerAddress(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']')) {
      return false;
    }
  }
  return true;
}

bool IsMode(int mode) { return mode >= 0 && mode <= 0777; }

// Keys of volume types other than `type` that were given anyway: they would be ignored.
Status RejectForeignFields(const VolumeSpec& v, const std::string& p) {
  auto foreign = [&](const char* owner, bool given, const char* field) -> Status {
    if (given && v.type != owner) {
      return Invalid(p + owner + "." + field,
                     std::string("belongs to ") + owner + " but the volume's Type is \"" + v.type +
                         "\"");
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(foreign(kEmptyDirVolume, !v.empty_dir_medium.empty(), "Medium"));
  RETURN_IF_ERROR(foreign(kEmptyDirVolume, !v.empty_dir_size_limit.empty(), "SizeLimit"));
  RETURN_IF_ERROR(foreign(kConfigFileVolume, !v.config_files.empty(), "ConfigFileToPath"));
  RETURN_IF_ERROR(
      foreign(kConfigFileVolume, v.config_file_default_mode.has_value(), "DefaultMode"));
  RETURN_IF_ERROR(foreign(kNfsVolume, !v.nfs_server.empty(), "Server"));
  RETURN_IF_ERROR(foreign(kNfsVolume, !v.nfs_path.empty(), "Path"));
  return foreign(kNfsVolume, v.nfs_read_only, "ReadOnly");
}

Status ValidateEmptyDir(const VolumeSpec& v, const std::string& p) {
  if (!v.empty_dir_medium.empty() && !IsMemoryMedium(v.empty_dir_medium)) {
    return Invalid(p + "EmptyDirVolume.Medium",
                   "must be empty (the node's disk) or Memory, got \"" + v.empty_dir_medium + "\"");
  }
  if (v.empty_dir_size_limit.empty()) return Status::Ok();
  if (!ParseQuantityBytes(v.empty_dir_size_limit)) {
    return Invalid(p + "EmptyDirVolume.SizeLimit",
                   "must be a positive quantity such as 256Mi or 1Gi, got \"" +
                       v.empty_dir_size_limit + "\"");
  }
  if (!IsMemoryMedium(v.empty_dir_medium)) {
    return Invalid(p + "EmptyDirVolume.SizeLimit",
                   "is only enforced with Medium=Memory on this node (a tmpfs of that size); a "
                   "disk-backed emptyDir has no size limit here");
  }
  return Status::Ok();
}

Status ValidateConfigFiles(const VolumeSpec& v, const std::string& p) {
  if (v.config_file_default_mode && !IsMode(*v.config_file_default_mode)) {
    return Invalid(p + "ConfigFileVolume.DefaultMode", "must be a file mode between 0 and 0777 (511)");
  }
  std::set<std::string> paths;
  for (size_t i = 0; i < v.config_files.size(); ++i) {
    const ConfigFileSpec& f = v.config_files[i];
    std::string fp = p + "ConfigFileVolume.ConfigFileToPath." + std::to_string(i + 1) + ".";
    if (f.path.empty()) return Missing(fp + "Path");
    if (!IsContainedRelativePath(f.path) || f.path.back() == '/') {
      return Invalid(fp + "Path",
                     "must be a relative file path inside the volume (no leading \"/\", no \".\" "
                     "or \"..\" component), got \"" + f.path + "\"");
    }
    std::optional<std::string> content = DecodeBase64(f.content);
    if (!content) return Invalid(fp + "Content", "must be Base64");
    if (content->size() > kMaxConfigFileBytes) {
      return InvalidParameterCode("InvalidParameter.ValueExceeded",
                                  "The parameter \"" + fp + "Content\" decodes to " +
                                      std::to_string(content->size()) +
                                      " bytes, more than the 32 KB a config file may hold.");
    }
    if (f.mode && !IsMode(*f.mode)) {
      return Invalid(fp + "Mode", "must be a file mode between 0 and 0777 (511)");
    }
    if (!paths.insert(f.path).second) return Invalid(fp + "Path", "names a file twice");
  }
  // A file cannot also be the directory of another one ("a" and "a/b").
  for (const std::string& path : paths) {
    auto next = paths.upper_bound(path);
    if (next != paths.end() && next->rfind(path + "/", 0) == 0) {
      return Invalid(p + "ConfigFileVolume.ConfigFileToPath",
                     "has \"" + path + "\" both as a file and as the directory of \"" + *next + "\"");
    }
  }
  return Status::Ok();
}

Status ValidateNfs(const VolumeSpec& v, const std::string& p) {
  if (v.nfs_server.empty()) return Missing(p + "NFSVolume.Server");
  if (!IsServerAddress(v.nfs_server)) {
    return Invalid(p + "NFSVolume.Server", "must be a host name or an IP address");
  }
  if (v.nfs_path.empty()) return Missing(p + "NFSVolume.Path");
  if (!IsCleanAbsolutePath(v.nfs_path) || v.nfs_path.find(',') != std::string::npos) {
    return Invalid(p + "NFSVolume.Path", "must be an absolute path on the NFS server");
  }
  return Status::Ok();
}

Status ValidateVolume(const VolumeSpec& v, const std::string& p) {
  if (v.name.empty()) return Missing(p + "Name");
  if (!IsVolumeName(v.name)) {
    return Invalid(p + "Name",
                   "must be 1 to 63 lower-case letters, digits or hyphens, not starting or ending "
                   "with a hyphen");
  }
  if (v.type.empty()) return Missing(p + "Type");
  if (v.type == "DiskVolume" || v.type == "FlexVolume") {
    return Status(StatusClass::kInvalidArgument, "DiskVolume.NotSupport",
                  "The disk volume is not supported: " + p + "Type is " + v.type +
                      ", which needs a cloud disk or a FlexVolume driver; a self-hosted OpenECI "
                      "node has neither. Use EmptyDirVolume, ConfigFileVolume or NFSVolume.");
  }
  if (v.type == "HostPathVolume") {
    return Invalid(p + "Type",
                   "is HostPathVolume, which is not supported: it would expose the node's own "
                   "files to the container group. Use EmptyDirVolume, ConfigFileVolume or "
                   "NFSVolume");
  }
  RETURN_IF_ERROR(RejectForeignFields(v, p));
  if (v.type == kEmptyDirVolume) return ValidateEmptyDir(v, p);
  if (v.type == kConfigFileVolume) return ValidateConfigFiles(v, p);
  if (v.type == kNfsVolume) return ValidateNfs(v, p);
  return Invalid(p + "Type", "must be one of EmptyDirVolume, ConfigFileVolume, NFSVolume, got \"" +
                                 v.type + "\"");
}

Status ValidateMounts(const ContainerSpec& c, const std::string& p,
                      const std::set<std::string>& volumes) {
  std::set<std::string> paths;
  for (size_t i = 0; i < c.volume_mounts.size(); ++i) {
    const VolumeMountSpec& m = c.volume_mounts[i];
    std::string mp = p + "VolumeMount." + std::to_string(i + 1) + ".";
    if (m.name.empty()) return Missing(mp + "Name");
    if (!volumes.count(m.name)) {
      return Invalid(mp + "Name", "names the volume \"" + m.name +
                                      "\", which is not one of the container group's Volume.N");
    }
    if (m.mount_path.empty()) return Missing(mp + "MountPath");
    if (!IsCleanAbsolutePath(m.mount_path) || TrimSlashes(m.mount_path).empty()) {
      return Invalid(mp + "MountPath",
                     "must be an absolute path other than \"/\" without \".\" or \"..\" "
                     "components, got \"" + m.mount_path + "\"");
    }
    if (!paths.insert(TrimSlashes(m.mount_path)).second) {
      return Invalid(mp + "MountPath", "is used by two volume mounts of the container");
    }
    if (!m.sub_path.empty() && !IsContainedRelativePath(m.sub_path)) {
      return Invalid(mp + "SubPath",
                     "must be a relative path inside the volume (no leading \"/\", no \".\" or "
                     "\"..\" component), got \"" + m.sub_path + "\"");
    }
    const std::string& prop = m.mount_propagation;
    if (!prop.empty() && prop != "None" && prop != "HostToContainer" && prop != "Bidirectional") {
      return Invalid(mp + "MountPropagation",
                     "must be one of None, HostToContainer, Bidirectional, got \"" + prop + "\"");
    }
  }
  return Status::Ok();
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<int64_t> ParseQuantityBytes(const std::string& quantity) {
  static const std::vector<std::pair<std::string, double>> kSuffixes = {
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
      {"k", 1e3},     {"M", 1e6},        {"G", 1e9},           {"T", 1e12},
      {"", 1.0}};
  for (const auto& [suffix, factor] : kSuffixes) {
    if (quantity.size() <= suffix.size() ||
        quantity.compare(quantity.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    std::string number = quantity.substr(0, quantity.size() - suffix.size());
    if (number.find_first_not_of("0123456789.eE+") != std::string::npos) return std::nullopt;
    if (!suffix.empty() && number.find_first_of("eE") != std::string::npos) return std::nullopt;
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size() || !std::isfinite(value)) return std::nullopt;
    double bytes = std::ceil(value * factor);
    if (bytes < 1 || bytes > 9e18) return std::nullopt;
    return static_cast<int64_t>(bytes);
  }
  return std::nullopt;
}

std::optional<std::string> DecodeBase64(const std::string& text) {
  std::string_view in(text);
  while (!in.empty() && in.back() == '=' && text.size() - in.size() < 2) in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  if (text.size() != in.size() && text.size() % 4 != 0) return std::nullopt;  // bad padding
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = Base64Value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

bool IsContainedRelativePath(const std::string& path) {
  if (path.empty() || path[0] == '/' || path.find('\0') != std::string::npos) return false;
  std::vector<std::string_view> parts = Components(path);
  for (size_t i = 0; i < parts.size(); ++i) {
    bool trailing = i + 1 == parts.size() && i > 0;
    if (parts[i].empty() && !trailing) return false;
    if (parts[i] == "." || parts[i] == "..") return false;
  }
  return true;
}

bool IsMemoryMedium(const std::string& medium) {
  if (medium.size() != 6) return false;
  for (size_t i = 0; i < medium.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(medium[i])) != "memory"[i]) return false;
  }
  return true;
}

Status ValidateVolumes(const ContainerGroupSpec& spec) {
  std::set<std::string> names;
  for (size_t i = 0; i < spec.volumes.size(); ++i) {
    std::string p = "Volume." + std::to_string(i + 1) + ".";
    RETURN_IF_ERROR(ValidateVolume(spec.volumes[i], p));
    if (!names.insert(spec.volumes[i].name).second) {
      return InvalidParameterCode("InvalidParameter.DuplicatedVolumeName",
                                  "The container group includes volumes with duplicate names: \"" +
                                      spec.volumes[i].name + "\" (" + p + "Name).");
    }
  }
  for (size_t i = 0; i < spec.init_containers.size(); ++i) {
    RETURN_IF_ERROR(ValidateMounts(spec.init_containers[i],
                                   "InitContainer." + std::to_string(i + 1) + ".", names));
  }
  for (size_t i = 0; i < spec.containers.size(); ++i) {
    RETURN_IF_ERROR(
        ValidateMounts(spec.containers[i], "Container." + std::to_string(i + 1) + ".", names));
  }
  return Status::Ok();
}

}  // namespace openeci::core
