// FindDuplicateKey: the first member name given twice in one JSON object of a document, which
// boost::json's DOM parser silently collapses (the last one wins). Pure function, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace openeci::api {

// The path of the second occurrence ("spec.containers[0].name"), or nullopt when every
// object's member names are distinct. `json` must be valid JSON (parse it first: invalid text
// gives nullopt); nesting deeper than `max_depth` gives nullopt too.
std::optional<std::string> FindDuplicateKey(std::string_view json, size_t max_depth);

}  // namespace openeci::api
