// The conformance suite of the Store interface: one parameterised GoogleTest suite that every
// backend runs, so SQLite today and etcd later promise the same behaviour.
//
// A backend instantiates it with a factory returning a fresh, empty store per test:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
//                            ::testing::Values(StoreFactory([] { return ...; })));
//
// Link the openeci_store_conformance OBJECT library so that the tests are registered.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "core/model.h"
#include "store/store.h"

namespace openeci::store::testing {

using StoreFactory = std::function<std::unique_ptr<Store>()>;

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;

  std::unique_ptr<Store> store_;
};

// A group of `account_id` in which every field of every struct of core/model.h holds a value
// other than its default, so that a round trip that drops any field is caught.
core::ContainerGroup FullyPopulatedGroup(const std::string& id, const std::string& account_id);

// The serialised form of every described field (all but `revision`), for equality checks with
// a readable diff.
std::string DescribeGroup(const core::ContainerGroup& group);

}  // namespace openeci::store::testing
