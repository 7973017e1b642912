// Test-only helper for table-driven refusal tests of the core's validation: each case mutates a
// valid spec and expects a check to refuse it with a documented code and a message naming the
// parameter. Header-only; used by the core unit tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <span>
#include <string>

#include "common/status.h"
#include "core/model.h"

namespace openeci::core::testing {

struct RefusalCase {
  const char* what;
  std::function<void(ContainerGroupSpec&)> mutate;
  const char* code;
  const char* names;  // a substring the message must contain
};

// Applies each case to a copy of `base` and expects `check` to refuse it as the case says.
inline void ExpectRefusals(const ContainerGroupSpec& base, std::span<const RefusalCase> cases,
                           const std::function<Status(const ContainerGroupSpec&)>& check) {
  for (const RefusalCase& c : cases) {
    ContainerGroupSpec spec = base;
    c.mutate(spec);
    Status st = check(spec);
    EXPECT_EQ(st.api_code(), c.code) << c.what << ": " << st.ToString();
    EXPECT_NE(st.message().find(c.names), std::string::npos) << c.what << ": " << st.message();
  }
}

}  // namespace openeci::core::testing
