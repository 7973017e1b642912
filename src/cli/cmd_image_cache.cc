// eci image-cache create|ls|rm: image caches (CreateImageCache, DescribeImageCaches,
// DeleteImageCache). create follows Progress until Ready or Failed unless --no-wait.
#include <boost/json.hpp>
#include <iostream>
#include <set>
#include <thread>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace openeci::cli {
namespace {

namespace json = boost::json;

constexpr auto kProgressPollInterval = std::chrono::milliseconds(500);

struct CreateCacheOptions {
  std::string name;
  std::vector<std::string> images;
  int64_t size_gib = 0;
  int64_t retention_days = 0;
  bool no_wait = false;
  std::string timeout = "30m";
};

json::array ListCaches(Context& ctx, std::map<std::string, std::string> filters) {
  return ListAllPages(ctx, "DescribeImageCaches", "ImageCaches", std::move(filters));
}

// The cache named by an ID ("imc-...") or an ImageCacheName matching exactly one cache.
json::object FindCache(Context& ctx, const std::string& ref) {
  json::array found = ListCaches(
      ctx, {{ref.rfind("imc-", 0) == 0 ? "ImageCacheId" : "ImageCacheName", ref}});
  if (found.size() == 1) return found[0].as_object();
  if (found.empty()) {
    throw CliError(ExitCode::kApiError, "InvalidParameter.NotFound",
                   "the image cache \"" + ref + "\" is not found", "",
                   "list them with `eci image-cache ls`");
  }
  throw UsageError(std::to_string(found.size()) + " image caches are named \"" + ref + "\"",
                   "name the one you mean by its ID");
}

int WaitForCache(Context& ctx, const std::string& id, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  std::set<std::string> seen;
  while (true) {
    json::object cache = FindCache(ctx, id);
    PrintNewEvents(Arr(cache, "Events"), seen);
    const std::string status = Str(cache, "Status");
    const std::string now = status + " " + Str(cache, "Progress");
    if (now != last) {
      std::cerr << "Status: " << status << "  Progress: " << Str(cache, "Progress") << std::endl;
      last = now;
    }
    if (status == "Ready") return 0;
    if (status == "Failed") {
      std::cerr << "Error: image cache " << id << " failed" << std::endl;
      return static_cast<int>(ExitCode::kApiError);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "Error: image cache " << id << " is still " << status << " after "
                << timeout.count() << "s" << std::endl;
      return static_cast<int>(ExitCode::kApiError);
    }
    std::this_thread::sleep_for(kProgressPollInterval);
  }
}

void RunCreate(Context& ctx, const CreateCacheOptions& o) {
  auto timeout = ParseDuration(o.timeout);
  if (!timeout) throw UsageError("--timeout " + o.timeout + " is not a duration such as 10m");
  std::map<std::string, std::string> p = {{"ImageCacheName", o.name}};
  for (size_t i = 0; i < o.images.size(); ++i) {
    p["Image." + std::to_string(i + 1)] = o.images[i];
  }
  if (o.size_gib > 0) p["ImageCacheSize"] = std::to_string(o.size_gib);
  if (o.retention_days > 0) p["RetentionDays"] = std::to_string(o.retention_days);
  json::object answer = ctx.Client().Call("CreateImageCache", p);
  const std::string id = Str(answer, "ImageCacheId");
  if (ctx.JsonOutput()) {
    PrintJson(std::cout, answer);
  } else {
    std::cout << id << std::endl;
  }
  if (!o.no_wait) ctx.exit_code = WaitForCache(ctx, id, *timeout);
}

std::string Join(const json::array& items) {
  std::string out;
  for (const json::value& v : items) {
    if (v.is_string()) out += (out.empty() ? "" : ",") + std::string(v.as_string());
  }
  return out;
}

void RunList(Context& ctx) {
  json::array caches = ListCaches(ctx, {});
  if (ctx.JsonOutput()) {
    const auto total = static_cast<int64_t>(caches.size());
    PrintJson(std::cout, json::object{{"TotalCount", total}, {"ImageCaches", caches}});
    return;
  }
  const TimePoint now = std::chrono::system_clock::now();
  std::vector<Row> rows;
  for (const json::value& c : caches) {
    const std::string snapshot = Str(c, "SnapshotId");
    rows.push_back({Str(c, "ImageCacheId"), Str(c, "ImageCacheName"), Str(c, "Status"),
                    Str(c, "Progress"), snapshot.empty() ? "-" : snapshot,
                    FormatAge(Str(c, "CreationTime"), now), Join(Arr(c, "Images"))});
  }
  PrintTable(std::cout, {"ID", "NAME", "STATUS", "PROGRESS", "SNAPSHOT", "AGE", "IMAGES"}, rows);
}

void RunRemove(Context& ctx, const std::vector<std::string>& refs) {
  RemoveEach(ctx, refs, [&ctx](const std::string& ref) {
    const std::string id = Str(FindCache(ctx, ref), "ImageCacheId");
    return std::make_pair(id, ctx.Client().Call("DeleteImageCache", {{"ImageCacheId", id}}));
  });
}

}  // namespace

void AddImageCacheCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("image-cache", "Image caches: create, ls, rm");
  group->require_subcommand(1);

  auto o = std::make_shared<CreateCacheOptions>();
  CLI::App* cmd = group->add_subcommand("create", "Pull images into a cache; shows progress");
  cmd->add_option("--name", o->name, "ImageCacheName")->required();
  cmd->add_option("--image", o->images, "Image to cache (repeatable, 1-20)")->required();
  cmd->add_option("--size", o->size_gib, "ImageCacheSize in GiB (default 20)");
  cmd->add_option("--retention-days", o->retention_days, "Days to keep it (default: forever)");
  cmd->add_flag("--no-wait", o->no_wait, "Print the ID and return at once");
  cmd->add_option("--timeout", o->timeout, "How long to wait for Ready (default 30m)");
  cmd->callback([&ctx, o] { RunCreate(ctx, *o); });

  cmd = group->add_subcommand("ls", "List image caches");
  cmd->callback([&ctx] { RunList(ctx); });

  auto refs = std::make_shared<std::vector<std::string>>();
  cmd = group->add_subcommand("rm", "Delete image caches");
  cmd->add_option("CACHE", *refs, "Image cache IDs or names")->required();
  cmd->callback([&ctx, refs] { RunRemove(ctx, *refs); });
}

}  // namespace openeci::cli
