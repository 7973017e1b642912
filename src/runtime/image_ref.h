// Image references as containerd's CRI plugin understands them (the Docker reference grammar):
// short names get the docker.io registry, the "library/" namespace and the "latest" tag.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace openeci::runtime {

// Fully qualified form of `ref`: "busybox" -> "docker.io/library/busybox:latest",
// "127.0.0.1:5000/a/b" -> "127.0.0.1:5000/a/b:latest". A digest ("@sha256:...") is kept and
// no default tag is added next to it. "index.docker.io" is folded into "docker.io".
std::string NormalizeImage(std::string_view ref);

// The registry `ref` is pulled from: "127.0.0.1:5000/a/b:1" -> "127.0.0.1:5000",
// "busybox" -> "docker.io", "localhost/x" -> "localhost".
std::string RegistryHost(std::string_view ref);

}  // namespace openeci::runtime
