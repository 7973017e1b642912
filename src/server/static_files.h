// StaticFiles: serves the files below one directory at a URL prefix (the web console's
// `/console/...`). GET and HEAD only; the prefix itself and `prefix/` answer `index.html`; a
// target that leaves the directory (`..`, an encoded `..`, a symlink pointing outside), names a
// directory or a missing file answers 404. Content types come from the file extension.
//
// Immutable after construction and thread-safe: Serve reads the file system on every call (no
// cache), so a rebuilt console is served without a restart.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "api/http_server.h"

namespace openeci::server {

class StaticFiles {
 public:
  // `url_prefix` without a trailing slash, e.g. "/console".
  StaticFiles(std::filesystem::path root, std::string url_prefix);

  // Whether `target` (path and optional query) is the prefix or below it.
  bool Matches(std::string_view target) const;

  // The answer for a request whose target Matches.
  api::HttpResponse Serve(const api::HttpRequest& request) const;

  // The Content-Type for a file name, by extension ("application/octet-stream" if unknown).
  static std::string ContentTypeFor(const std::filesystem::path& file);

 private:
  // The file a target names, relative to the root ("index.html" for the prefix itself), or
  // nullopt when the target is malformed or climbs out of the root.
  std::optional<std::filesystem::path> RelativeFile(std::string_view target) const;
  // The file's canonical path when it is a regular file inside the root.
  std::optional<std::filesystem::path> ResolveInsideRoot(const std::filesystem::path& rel) const;

  std::filesystem::path root_;
  std::string url_prefix_;
};

}  // namespace openeci::server
