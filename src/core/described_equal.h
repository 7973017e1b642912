// SameValue: member-wise equality of the model's Boost.Describe'd structs (and vectors and
// optionals of them), so that comparisons cover fields added to the model later without anyone
// listing them. Header-only, pure, thread-safe.
#pragma once

#include <boost/describe.hpp>
#include <boost/mp11.hpp>
#include <optional>
#include <vector>

namespace openeci::core {

template <typename T>
bool SameValue(const T& a, const T& b);

template <typename T>
bool SameValue(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameValue(a[i], b[i])) return false;
  }
  return true;
}

template <typename T>
bool SameValue(const std::optional<T>& a, const std::optional<T>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a.has_value() || SameValue(*a, *b);
}

template <typename T>
bool SameValue(const T& a, const T& b) {
  if constexpr (boost::describe::has_describe_members<T>::value) {
    bool equal = true;
    using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
    boost::mp11::mp_for_each<Members>([&](auto member) {
      if (equal) equal = SameValue(a.*member.pointer, b.*member.pointer);
    });
    return equal;
  } else {
    return a == b;
  }
}

}  // namespace openeci::core
