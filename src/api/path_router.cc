#include "api/path_router.h"

namespace openeci::api {
namespace {

// True when `path` is `prefix` or lies below it.
bool Below(std::string_view path, std::string_view prefix) {
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/' || prefix == "/";
}

}  // namespace

PathRouter::PathRouter(HttpHandler fallback) : fallback_(std::move(fallback)) {}

void PathRouter::Add(std::string prefix, HttpHandler handler) {
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  for (auto& route : routes_) {
    if (route.first == prefix) {
      route.second = std::move(handler);
      return;
    }
  }
  routes_.emplace_back(std::move(prefix), std::move(handler));
}

std::string_view PathRouter::PathOf(std::string_view target) {
  return target.substr(0, target.find('?'));
}

const HttpHandler* PathRouter::Find(std::string_view path) const {
  const std::pair<std::string, HttpHandler>* best = nullptr;
  for (const auto& route : routes_) {
    if (!Below(path, route.first)) continue;
    if (best == nullptr || route.first.size() > best->first.size()) best = &route;
  }
  return best == nullptr ? &fallback_ : &best->second;
}

HttpResponse PathRouter::Handle(const HttpRequest& request) const {
  return (*Find(PathOf(request.target)))(request);
}

}  // namespace openeci::api
