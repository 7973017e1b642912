// The core validation the spec decoding targets (flat_params, template_json) run decoded specs
// through: ContainerGroupService::Check over an in-memory store it never writes. Not
// thread-safe; one per fuzzer process.
#pragma once

#include <memory>
#include <utility>

#include "common/clock.h"
#include "core/container_group_service.h"
#include "store/sqlite/sqlite_store.h"

namespace openeci::fuzz {

struct SpecChecker {
  SpecChecker()
      : store(std::move(store::SqliteStore::Open(":memory:")).value()),
        groups(*store, clock, topology) {}
  FakeClock clock{FromUnixMillis(1714564800000)};
  core::Topology topology;
  std::unique_ptr<store::SqliteStore> store;
  core::ContainerGroupService groups;
};

}  // namespace openeci::fuzz
