// The JSON container-group template of CreateContainerGroupFromTemplate,
// UpdateContainerGroupByTemplate and ExportContainerGroupTemplate (API reference 6.7-6.9), in
// both directions.
//
// Reading: a template is a mapping of keys onto the flat parameters of CreateContainerGroup /
// UpdateContainerGroup ("spec.containers[0].resources.cpu" -> "Container.1.Cpu"), so the flat
// decoder (api/spec_params.h) and core validation do the rest: this file only knows the key
// mapping and the JSON types. Keys are the reference's lowerCamelCase ("vSwitchId"); the same
// key with its first letter upper-cased ("VSwitchId", as ExportContainerGroupTemplate writes
// it) is accepted too. Numbers may be JSON numbers or numeric strings ("80"), booleans JSON
// booleans or "true"/"false", as the reference's samples write them; null means "not given";
// `restartPolicy` may also stand at the top level (spec.restartPolicy). Anything else — bad JSON,
// a wrong type, a key the template does not have, a key given twice — is
// IncorrectUserTemplateFormat naming the exact path ("spec.containers[0].resources.cpu").
// An empty list gives no parameters, as an empty array of the SDK does.
//
// Writing: ExportTemplate renders a stored group with the reference's PascalCase keys (6.9).
// Image registry credentials are not exported (they hold passwords).
//
// Pure functions, thread-safe.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"
#include "core/model.h"

namespace openeci::api {

// A template read as flat parameters.
struct FlatTemplate {
  std::map<std::string, std::string> params;  // "Container.1.Cpu" -> "1.5"
  std::map<std::string, std::string> paths;   // "Container.1.Cpu" -> "spec.containers[0]..."
};

// IncorrectUserTemplateFormat (400) naming what is wrong.
Status TemplateFormatError(const std::string& message);

StatusOr<FlatTemplate> FlattenTemplate(std::string_view json);

// The template path of a flat parameter name, e.g. "InitContainer.2.Command.1" ->
// "spec.initContainers[1].command[0]"; "" when the template has no such key.
std::string TemplatePathOf(std::string_view flat_key);

// `status` with every quoted flat parameter name in its message ("\"Container.1.Name\"")
// replaced by its template path, so that errors of the flat decoder and of core validation
// speak the template's language.
Status InTemplateTerms(const Status& status);

// The template of `group` (the value of ExportContainerGroupTemplate's "Template").
boost::json::object ExportTemplate(const core::ContainerGroup& group);

}  // namespace openeci::api
