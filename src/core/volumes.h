// The rules of a container group's volumes and volume mounts (Volume.N, Container.N.VolumeMount.N,
// InitContainer.N.VolumeMount.N) and the small value parsers they need (Kubernetes quantities,
// Base64 contents, relative paths). Pure functions, no I/O, thread-safe. Each failure names the
// offending parameter with its wire name and carries the documented error code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "core/model.h"

namespace openeci::core {

inline constexpr size_t kMaxConfigFileBytes = 32 * 1024;  // per decoded file
inline constexpr int kDefaultConfigFileMode = 0644;

// The volume types this node mounts (VolumeSpec::type).
inline constexpr const char* kEmptyDirVolume = "EmptyDirVolume";
inline constexpr const char* kConfigFileVolume = "ConfigFileVolume";
inline constexpr const char* kNfsVolume = "NFSVolume";

// A Kubernetes resource quantity in bytes ("512Mi", "1Gi", "100M", "1e3", "4096"); nullopt when
// it is not one or is not positive.
std::optional<int64_t> ParseQuantityBytes(const std::string& quantity);

// Standard Base64 (padding optional, no whitespace); nullopt when `text` is not Base64.
std::optional<std::string> DecodeBase64(const std::string& text);

// Whether `path` is relative and stays inside the directory it is relative to: not empty, not
// absolute, no "." or ".." component, no empty component other than a trailing slash, no NUL.
bool IsContainedRelativePath(const std::string& path);

// EmptyDirVolume.Medium "Memory" (any case, as the API reference writes it both ways).
bool IsMemoryMedium(const std::string& medium);

// Every rule on Volume.N and on the VolumeMount.N of every container and init container.
Status ValidateVolumes(const ContainerGroupSpec& spec);

}  // namespace openeci::core
