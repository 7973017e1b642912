#include "api/handlers/template_params.h"

#include "api/handlers/handlers.h"

namespace openeci::api {

StatusOr<Params> TemplateParams(const FlatTemplate& flat, const std::string& region_id) {
  std::map<std::string, std::string> values = flat.params;
  auto region = values.find("RegionId");
  if (region != values.end() && region->second != region_id) {
    return InvalidParameter("The template key \"regionId\" (\"" + region->second +
                            "\") differs from the request's RegionId \"" + region_id + "\".");
  }
  values["RegionId"] = region_id;
  return Params::Create(std::move(values));
}

StatusOr<TemplateRequest> ReadTemplateRequest(const core::Topology& topology, Params& request) {
  RETURN_IF_ERROR(CheckRegion(topology, request));
  std::string region = request.Get("RegionId").value_or("");
  ASSIGN_OR_RETURN(std::string text, request.Required("Template"));
  std::string client_token = request.Get("ClientToken").value_or("");
  RETURN_IF_ERROR(RejectUnsupported(request));
  ASSIGN_OR_RETURN(FlatTemplate flat, FlattenTemplate(text));
  ASSIGN_OR_RETURN(Params params, TemplateParams(flat, region));
  return TemplateRequest{std::move(flat), std::move(params), std::move(client_token)};
}

Status RejectUnreadTemplateKeys(const Params& params, const FlatTemplate& flat) {
  std::vector<std::string> left = params.Unconsumed();
  if (left.empty()) return Status::Ok();
  auto path = flat.paths.find(left.front());
  std::string key = path == flat.paths.end() ? left.front() : path->second;
  return InvalidParameter("The template key \"" + key +
                          "\" is not supported by this OpenECI node; remove it from the "
                          "template.");
}

Status TemplateDecodeError(const Status& status) {
  Status translated = InTemplateTerms(status);
  if (translated.api_code() != "InvalidParameter") return translated;
  return TemplateFormatError(translated.message());
}

}  // namespace openeci::api
