#include "api/path_router.h"

#include <gtest/gtest.h>

namespace openeci::api {
namespace {

HttpHandler Answer(std::string who) {
  return [who](const HttpRequest&) { return HttpResponse{200, "text/plain", who, {}}; };
}

std::string Route(const PathRouter& router, const std::string& target) {
  HttpRequest r;
  r.method = "GET";
  r.target = target;
  return router.Handle(r).body;
}

TEST(PathRouterTest, UnroutedPathsGoToTheFallback) {
  PathRouter router(Answer("api"));
  router.Add("/metrics", Answer("metrics"));
  EXPECT_EQ(Route(router, "/?Action=DescribeRegions&Version=2018-08-08"), "api");
  EXPECT_EQ(Route(router, "/"), "api");
  EXPECT_EQ(Route(router, "/nothing"), "api");
}

TEST(PathRouterTest, APrefixMatchesItselfAndWhatIsBelowItOnly) {
  PathRouter router(Answer("api"));
  router.Add("/console", Answer("console"));
  EXPECT_EQ(Route(router, "/console"), "console");
  EXPECT_EQ(Route(router, "/console/"), "console");
  EXPECT_EQ(Route(router, "/console/assets/app.js"), "console");
  EXPECT_EQ(Route(router, "/consoles"), "api");
  EXPECT_EQ(Route(router, "/consol"), "api");
}

TEST(PathRouterTest, TheQueryStringIsIgnored) {
  PathRouter router(Answer("api"));
  router.Add("/metrics", Answer("metrics"));
  EXPECT_EQ(Route(router, "/metrics?name[]=x"), "metrics");
  EXPECT_EQ(Route(router, "/?/metrics"), "api");
}

TEST(PathRouterTest, TheLongestPrefixWins) {
  PathRouter router(Answer("api"));
  router.Add("/a", Answer("a"));
  router.Add("/a/b", Answer("ab"));
  EXPECT_EQ(Route(router, "/a/b/c"), "ab");
  EXPECT_EQ(Route(router, "/a/bc"), "a");
  EXPECT_EQ(Route(router, "/a"), "a");
}

TEST(PathRouterTest, TrailingSlashOfAPrefixIsIgnoredAndReAddingReplaces) {
  PathRouter router(Answer("api"));
  router.Add("/healthz/", Answer("old"));
  router.Add("/healthz", Answer("new"));
  EXPECT_EQ(Route(router, "/healthz"), "new");
}

TEST(PathRouterTest, PathOfStripsTheQuery) {
  EXPECT_EQ(PathRouter::PathOf("/a/b?c=d?e"), "/a/b");
  EXPECT_EQ(PathRouter::PathOf("/x"), "/x");
  EXPECT_EQ(PathRouter::PathOf(""), "");
}

}  // namespace
}  // namespace openeci::api
