// Reading `eci create -f FILE`: a container-group template (the format of
// CreateContainerGroupFromTemplate, API reference 6.7) written as JSON or YAML, turned into the
// compact JSON text sent as the action's `Template` parameter.
//
// YAML is converted with the YAML 1.2 core schema: quoted scalars stay strings; plain scalars
// become null (~, null, empty), booleans (true/false), integers or floats when they look like
// one, strings otherwise. Anchors and aliases are expanded; a file with several documents is
// refused. Free functions; thread-safe. Failures throw CliError (usage errors).
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace openeci::cli {

// The JSON value of one YAML document. `source` names the input in error messages.
boost::json::value YamlToJson(std::string_view text, const std::string& source = "YAML");

// The template in `path` ("-": stdin) as compact JSON text. `.json` files are parsed as JSON,
// everything else as YAML (which also reads JSON). The document must be an object.
std::string ReadTemplateFile(const std::string& path);

}  // namespace openeci::cli
