#include "server/static_files.h"

#include <fstream>
#include <iterator>
#include <map>

#include "api/percent.h"

namespace openeci::server {
namespace {

namespace fs = std::filesystem;

std::string_view PathOf(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

api::HttpResponse PlainText(int status, std::string body) {
  api::HttpResponse response;
  response.status = status;
  response.content_type = "text/plain;charset=utf-8";
  response.body = std::move(body);
  return response;
}

// True when `path` is `base` or lies below it (both canonical).
bool IsWithin(const fs::path& path, const fs::path& base) {
  auto mismatch = std::mismatch(base.begin(), base.end(), path.begin(), path.end());
  return mismatch.first == base.end();
}

}  // namespace

StaticFiles::StaticFiles(fs::path root, std::string url_prefix)
    : root_(std::move(root)), url_prefix_(std::move(url_prefix)) {}

bool StaticFiles::Matches(std::string_view target) const {
  std::string_view path = PathOf(target);
  if (path.rfind(url_prefix_, 0) != 0) return false;
  return path.size() == url_prefix_.size() || path[url_prefix_.size()] == '/';
}

std::string StaticFiles::ContentTypeFor(const fs::path& file) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html;charset=utf-8"},
      {".js", "text/javascript;charset=utf-8"},
      {".mjs", "text/javascript;charset=utf-8"},
      {".css", "text/css;charset=utf-8"},
      {".json", "application/json;charset=utf-8"},
      {".map", "application/json;charset=utf-8"},
      {".txt", "text/plain;charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
  };
  auto it = kTypes.find(file.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

std::optional<fs::path> StaticFiles::RelativeFile(std::string_view target) const {
  std::string_view rest = PathOf(target).substr(url_prefix_.size());
  std::optional<std::string> decoded = api::PercentDecode(rest, /*plus_is_space=*/false);
  if (!decoded || decoded->find('\0') != std::string::npos ||
      decoded->find('\\') != std::string::npos) {
    return std::nullopt;
  }
  fs::path rel;
  size_t start = 0;
  while (start <= decoded->size()) {
    size_t end = decoded->find('/', start);
    if (end == std::string::npos) end = decoded->size();
    std::string segment = decoded->substr(start, end - start);
    if (segment == "..") return std::nullopt;
    if (!segment.empty() && segment != ".") rel /= segment;
    start = end + 1;
  }
  if (rel.empty()) rel = "index.html";
  return rel;
}

std::optional<fs::path> StaticFiles::ResolveInsideRoot(const fs::path& rel) const {
  std::error_code ec;
  fs::path root = fs::canonical(root_, ec);
  if (ec) return std::nullopt;
  fs::path file = fs::canonical(root / rel, ec);
  if (ec || !IsWithin(file, root) || !fs::is_regular_file(file, ec)) return std::nullopt;
  return file;
}

api::HttpResponse StaticFiles::Serve(const api::HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    api::HttpResponse refused = PlainText(405, "method not allowed\n");
    refused.headers["Allow"] = "GET, HEAD";
    return refused;
  }
  std::optional<fs::path> rel = RelativeFile(request.target);
  std::optional<fs::path> file = rel ? ResolveInsideRoot(*rel) : std::nullopt;
  if (!file) return PlainText(404, "not found\n");
  std::ifstream in(*file, std::ios::binary);
  if (!in) return PlainText(404, "not found\n");
  api::HttpResponse response;
  response.content_type = ContentTypeFor(*file);
  if (request.method == "GET") {
    response.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  response.headers["Cache-Control"] = "no-cache";
  response.headers["X-Content-Type-Options"] = "nosniff";
  response.headers["Referrer-Policy"] = "no-referrer";
  if (response.content_type.rfind("text/html", 0) == 0) {
    response.headers["Content-Security-Policy"] =
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'";
  }
  return response;
}

}  // namespace openeci::server
