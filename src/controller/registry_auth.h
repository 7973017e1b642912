// The credentials to pull one image with, chosen from ImageRegistryCredential.N by registry
// host (scheme and trailing slashes of Server ignored). Shared by the group controller and the
// image-cache controller. Pure function; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "runtime/runtime.h"

namespace openeci::controller {

std::optional<runtime::RegistryAuth> AuthFor(
    const std::vector<core::RegistryCredential>& credentials, const std::string& image);

}  // namespace openeci::controller
