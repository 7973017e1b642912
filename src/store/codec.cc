#include "store/codec.h"

#include <boost/describe.hpp>
#include <boost/json.hpp>
#include <boost/mp11.hpp>
#include <exception>
#include <optional>
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

// Reshapes `stored` into the exact JSON shape value_to<T> expects. Boost.JSON's described-class
// conversion insists on exactly the described keys, so for every described struct (also inside
// arrays and optionals) this starts from the encoding of a default-constructed T and overlays
// the stored value of each member it knows: missing keys keep their defaults and unknown keys
// are dropped. A value of the wrong JSON kind is passed through for value_to to reject.
template <typename T>
json::value Overlay(const json::value& stored) {
  if constexpr (boost::describe::has_describe_members<T>::value) {
    const json::object* in = stored.if_object();
    if (in == nullptr) {
      return stored;
    }
    json::value base = json::value_from(T{});
    json::object& out = base.as_object();
    using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
    boost::mp11::mp_for_each<Members>([&](auto member) {
      using M = std::remove_cvref_t<decltype(std::declval<T&>().*member.pointer)>;
      if (auto it = in->find(member.name); it != in->end()) {
        out[member.name] = Overlay<M>(it->value());
      }
    });
    return base;
  } else if constexpr (VectorTraits<T>::value) {
    const json::array* in = stored.if_array();
    if (in == nullptr) {
      return stored;
    }
    json::array out;
    out.reserve(in->size());
    for (const json::value& element : *in) {
      out.push_back(Overlay<typename VectorTraits<T>::Element>(element));
    }
    return out;
  } else if constexpr (OptionalTraits<T>::value) {
    return stored.is_null() ? stored : Overlay<typename OptionalTraits<T>::Inner>(stored);
  } else {
    return stored;
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
    auto result = json::try_value_to<T>(Overlay<T>(stored));
    if (!result) {
      return InternalError(std::string("stored ") + what +
                           " does not match the model: " + result.error().message());
    }
    return std::move(*result);
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
