// Codec: the JSON form in which the store keeps the model's nested values (a group's spec and
// status, an event). The encoding is Boost.JSON's conversion of the Boost.Describe
// descriptions in core/model.h: member names as keys, enums by name, std::nullopt as null.
//
// Decoding is forward compatible: a record written before a field existed decodes with that
// field's default, and a key no longer in the model is ignored. Decoding never throws; a
// malformed record is an InternalError naming what was wrong.
//
// Stateless free functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "core/model.h"

namespace openeci::store {

std::string EncodeSpec(const core::ContainerGroupSpec& spec);
StatusOr<core::ContainerGroupSpec> DecodeSpec(std::string_view json);

std::string EncodeStatus(const core::GroupStatus& status);
StatusOr<core::GroupStatus> DecodeStatus(std::string_view json);

std::string EncodeEvent(const core::Event& event);
StatusOr<core::Event> DecodeEvent(std::string_view json);

// The whole image cache record (its events included), without the revision.
std::string EncodeImageCache(const core::ImageCache& cache);
StatusOr<core::ImageCache> DecodeImageCache(std::string_view json);

}  // namespace openeci::store
