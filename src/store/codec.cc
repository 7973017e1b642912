#include "store/codec.h"

#include <boost/describe.hpp>
#include <boost/json.hpp>
#include <boost/mp11.hpp>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace openeci::store {
namespace {

namespace json = boost::json;

template <typename T>
struct VectorTraits : std::false_type {};
template <typename U, typename A>
struct VectorTraits<std::vector<U, A>> : std::true_type {
  using Element = U;
};

template <typename T>
struct OptionalTraits : std::false_type {};
template <typename U>
struct OptionalTraits<std::optional<U>> : std::true_type {
  using Inner = U;
};

// Reads `stored` into `out`, which starts out default-constructed. For every described struct
// (also inside arrays and optionals) each member found under its name is read, missing members
// keep their defaults and unknown keys are ignored; leaves (strings, numbers, booleans, described
// enums) are converted by Boost.JSON. A value of the wrong JSON kind or range is an error naming
// the member. One pass over the parsed document: no intermediate JSON is built.
template <typename T>
bool DecodeInto(const json::value& stored, T& out, std::string& error) {
  if constexpr (boost::describe::has_describe_members<T>::value) {
    const json::object* in = stored.if_object();
    if (in == nullptr) {
      error = "expected an object";
      return false;
    }
    bool ok = true;
    using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
    boost::mp11::mp_for_each<Members>([&](auto member) {
      if (!ok) return;
      const json::value* v = in->if_contains(member.name);
      if (v == nullptr) return;
      if (!DecodeInto(*v, out.*member.pointer, error)) {
        error = std::string(member.name) + ": " + error;
        ok = false;
      }
    });
    return ok;
  } else if constexpr (VectorTraits<T>::value) {
    const json::array* in = stored.if_array();
    if (in == nullptr) {
      error = "expected an array";
      return false;
    }
    out.clear();
    out.reserve(in->size());
    for (const json::value& element : *in) {
      if (!DecodeInto(element, out.emplace_back(), error)) return false;
    }
    return true;
  } else if constexpr (OptionalTraits<T>::value) {
    if (stored.is_null()) {
      out.reset();
      return true;
    }
    return DecodeInto(stored, out.emplace(), error);
  } else {
    auto result = json::try_value_to<T>(stored);
    if (!result) {
      error = result.error().message();
      return false;
    }
    out = std::move(*result);
    return true;
  }
}

template <typename T>
std::string Encode(const T& v) {
  return json::serialize(json::value_from(v));
}

template <typename T>
StatusOr<T> Decode(std::string_view text, const char* what) {
  try {
    boost::system::error_code ec;
    json::value stored = json::parse(text, ec);
    if (ec) {
      return InternalError(std::string("stored ") + what + " is not JSON: " + ec.message());
    }
    if (!stored.is_object()) {
      return InternalError(std::string("stored ") + what + " is not a JSON object");
    }
    T result{};
    std::string error;
    if (!DecodeInto(stored, result, error)) {
      return InternalError(std::string("stored ") + what + " does not match the model: " + error);
    }
    return result;
  } catch (const std::exception& e) {
    return InternalError(std::string("decoding stored ") + what + ": " + e.what());
  }
}

}  // namespace

std::string EncodeSpec(const core::ContainerGroupSpec& spec) { return Encode(spec); }
StatusOr<core::ContainerGroupSpec> DecodeSpec(std::string_view json) {
  return Decode<core::ContainerGroupSpec>(json, "group spec");
}

std::string EncodeStatus(const core::GroupStatus& status) { return Encode(status); }
StatusOr<core::GroupStatus> DecodeStatus(std::string_view json) {
  return Decode<core::GroupStatus>(json, "group status");
}

std::string EncodeEvent(const core::Event& event) { return Encode(event); }
StatusOr<core::Event> DecodeEvent(std::string_view json) {
  return Decode<core::Event>(json, "event");
}

std::string EncodeImageCache(const core::ImageCache& cache) { return Encode(cache); }
StatusOr<core::ImageCache> DecodeImageCache(std::string_view json) {
  return Decode<core::ImageCache>(json, "image cache");
}

}  // namespace openeci::store
