// seed_store: fills an OpenECI SQLite store with finished container groups before a server
// opens it, for read-path benchmarks (bench/api.mjs, bench/growth.mjs) that need thousands of
// stored groups without running thousands of containers.
//
// Every group is Succeeded (its one container terminated with exit code 0), as a group that ran
// and finished looks in the store: the spec a CreateContainerGroup of the benchmark would give,
// an IP, container states and five events. A finished group has nothing left in the runtime,
// so the controller has no work for it; run the server with OPENECI_SUCCEEDED_RETENTION_COUNT
// above the count so that retention keeps them.
//
//   seed_store --db STATE/openeci.db --count 100000 [--account openeci-default]
//              [--region R --zone Z --vswitch V --security-group S --image IMAGE]
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using openeci::store::SqliteStore;

struct Options {
  std::string db;
  int64_t count = 0;
  std::string account = "openeci-default";
  std::string region = "cn-hangzhou";
  std::string zone = "cn-hangzhou-a";
  std::string vswitch = "vsw-openeci-default";
  std::string security_group = "sg-openeci-default";
  std::string image = "localhost/openeci/busybox:1.0";
  std::string name_prefix = "seeded";
  int64_t batch = 5000;  // groups per transaction
};

[[noreturn]] void Usage(const std::string& why) {
  std::cerr << "seed_store: " << why << "\n"
            << "usage: seed_store --db FILE --count N [--account ID] [--region R] [--zone Z]\n"
               "  [--vswitch V] [--security-group S] [--image IMAGE] [--name-prefix P]\n";
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) Usage(a + " needs a value");
    std::string v = argv[++i];
    if (a == "--db") o.db = v;
    else if (a == "--count") o.count = std::atoll(v.c_str());
    else if (a == "--account") o.account = v;
    else if (a == "--region") o.region = v;
    else if (a == "--zone") o.zone = v;
    else if (a == "--vswitch") o.vswitch = v;
    else if (a == "--security-group") o.security_group = v;
    else if (a == "--image") o.image = v;
    else if (a == "--name-prefix") o.name_prefix = v;
    else Usage("unknown argument " + a);
  }
  if (o.db.empty() || o.count <= 0) Usage("--db and --count are required");
  return o;
}

SqliteStore::SeedGroup MakeGroup(const Options& o, int64_t i, openeci::core::Millis created) {
  using namespace openeci::core;
  SqliteStore::SeedGroup seed;
  ContainerGroup& g = seed.group;
  g.id = openeci::NewResourceId("eci");
  g.account_id = o.account;
  g.creation_time = created;
  ContainerGroupSpec& s = g.spec;
  s.name = o.name_prefix + "-" + std::to_string(i);
  s.region_id = o.region;
  s.zone_id = o.zone;
  s.vswitch_id = o.vswitch;
  s.security_group_id = o.security_group;
  s.restart_policy = RestartPolicy::Never;
  s.cpu = 0.25;
  s.memory_gib = 0.5;
  s.tags = {{"bench", "seed"}};
  ContainerSpec c;
  c.name = "main";
  c.image = o.image;
  c.cpu = 0.25;
  c.memory_gib = 0.25;
  c.command = {"/bin/sh", "-c", "echo done"};
  c.env = {{"MODE", "bench", ""}};
  c.ports = {{80, "TCP"}};
  s.containers = {c};
  GroupStatus& st = g.status;
  st.phase = GroupPhase::Succeeded;
  st.intranet_ip = "10.77." + std::to_string((i / 250) % 250) + "." + std::to_string(i % 250 + 2);
  st.start_time = created + 200;
  st.succeeded_time = created + 1500;
  ContainerStatus cs;
  cs.name = "main";
  cs.current = {"Terminated", "Completed", "Completed", "", created + 400, created + 1400, 0, {}};
  st.containers = {cs};
  const std::string obj = g.id + ".main";
  auto event = [&](const std::string& name, const std::string& reason, const std::string& msg,
                   Millis at) {
    Event e;
    e.name = name;
    e.reason = reason;
    e.message = msg;
    e.first_timestamp = e.last_timestamp = at;
    seed.events.push_back(e);
  };
  event(g.id, "Scheduled", "Successfully assigned " + g.id + " to this node", created + 10);
  event(obj, "Pulled", "Container image \"" + o.image + "\" already present on machine",
        created + 300);
  event(obj, "Created", "Created container main", created + 350);
  event(obj, "Started", "Started container main", created + 400);
  event(g.id, "Succeeded", "Container group " + g.id + " succeeded", created + 1500);
  return seed;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  auto store = SqliteStore::Open(o.db);
  if (!store.ok()) {
    std::cerr << "seed_store: " << store.status().ToString() << "\n";
    return 1;
  }
  const auto started = std::chrono::steady_clock::now();
  // Creation times one second apart, ending now: the newest seeded group is the youngest.
  const openeci::core::Millis now = openeci::ToUnixMillis(std::chrono::system_clock::now());
  std::vector<SqliteStore::SeedGroup> batch;
  for (int64_t i = 0; i < o.count; ++i) {
    batch.push_back(MakeGroup(o, i, now - (o.count - i) * 1000));
    if (static_cast<int64_t>(batch.size()) == o.batch || i + 1 == o.count) {
      if (openeci::Status st = (*store)->SeedGroups(batch); !st.ok()) {
        std::cerr << "seed_store: " << st.ToString() << "\n";
        return 1;
      }
      batch.clear();
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "{\"seeded\":" << o.count << ",\"seconds\":" << seconds << "}" << std::endl;
  return 0;
}
