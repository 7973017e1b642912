// PathRouter: picks the handler of an HTTP request by its path, for the few non-API paths the
// server answers besides the RPC API (/metrics, /healthz, /readyz, /console, ...). A route is a
// path prefix: it matches that exact path and everything below it ("/console" matches
// "/console", "/console/" and "/console/app.js", not "/consoles"); the longest matching prefix
// wins; the query string is ignored. Requests no route matches go to the fallback (the API).
//
//   PathRouter router(api_handler);
//   router.Add("/healthz", healthz_handler);
//   HttpServer http([&router](const HttpRequest& r) { return router.Handle(r); }, ...);
//
// Thread-safe for Handle once every Add is done (add routes before serving).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_server.h"

namespace openeci::api {

class PathRouter {
 public:
  explicit PathRouter(HttpHandler fallback);

  // Routes `prefix` ("/metrics"; must start with '/'; a trailing '/' is ignored) to `handler`.
  // Adding the same prefix again replaces its handler.
  void Add(std::string prefix, HttpHandler handler);
  HttpResponse Handle(const HttpRequest& request) const;

  // The path of a request target without its query string ("/a?b=c" -> "/a").
  static std::string_view PathOf(std::string_view target);

 private:
  const HttpHandler* Find(std::string_view path) const;

  HttpHandler fallback_;
  std::vector<std::pair<std::string, HttpHandler>> routes_;
};

}  // namespace openeci::api
