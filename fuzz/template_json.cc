// Fuzz target: a container-group template (JSON text, CreateContainerGroupFromTemplate's
// `Template`) -> flat parameters -> the flat decoder -> core validation, as the template
// handlers run them. Properties: bad input is a client error (IncorrectUserTemplateFormat and
// friends); a template that passes validation, once exported with ExportContainerGroupTemplate's
// renderer, reads back as the same spec.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "api/params.h"
#include "api/spec_params.h"
#include "api/template_codec.h"
#include "core/group_update.h"
#include "fuzz_check.h"
#include "spec_checker.h"

namespace {

using namespace openeci;

// The template read and validated as the handlers do (the request's RegionId wins).
StatusOr<core::ContainerGroupSpec> ReadTemplate(fuzz::SpecChecker& checker, std::string_view text) {
  ASSIGN_OR_RETURN(api::FlatTemplate flat, api::FlattenTemplate(text));
  flat.params["RegionId"] = checker.topology.region_id;
  ASSIGN_OR_RETURN(api::Params params, api::Params::Create(flat.params));
  StatusOr<core::ContainerGroupSpec> spec = api::DecodeGroupSpec(params);
  if (!spec.ok()) return api::InTemplateTerms(spec.status());
  params.Unconsumed();
  Status checked = checker.groups.Check(*spec);
  if (!checked.ok()) return api::InTemplateTerms(checked);
  return spec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::SpecChecker& checker = *new fuzz::SpecChecker();
  StatusOr<core::ContainerGroupSpec> spec = ReadTemplate(checker, fuzz::AsText(data, size));
  if (!spec.ok()) {
    fuzz::RequireClientError(spec.status(), "template");
    return 0;
  }
  // Export and import again: what ExportContainerGroupTemplate writes must read back.
  core::ContainerGroup group;
  group.id = "eci-fuzz";
  group.spec = *spec;
  group.spec.credentials.clear();  // not exported (they hold passwords)
  std::string exported = boost::json::serialize(api::ExportTemplate(group));
  StatusOr<core::ContainerGroupSpec> again = ReadTemplate(checker, exported);
  if (!again.ok()) {
    fuzz::Finding("an exported template does not read back: " + again.status().ToString() + "\n" +
                  exported);
  }
  if (!core::SameSpec(group.spec, *again)) {
    fuzz::Finding("an exported template reads back as another spec:\n" + exported);
  }
  return 0;
}
