// What the three template actions share: a flattened template as the Params the flat decoders
// read, and errors phrased in template keys. Pure functions, thread-safe.
#pragma once

#include <string>

#include "api/params.h"
#include "api/template_codec.h"
#include "common/status.h"
#include "core/topology.h"

namespace openeci::api {

// A template action's request: RegionId (this node's) and Template (required), ClientToken; the
// template flattened, as Params for the flat decoders.
struct TemplateRequest {
  FlatTemplate flat;
  Params params;
  std::string client_token;
};
StatusOr<TemplateRequest> ReadTemplateRequest(const core::Topology& topology, Params& request);

// The template's parameters with RegionId = `region_id` (the request's); a template regionId
// that differs is refused.
StatusOr<Params> TemplateParams(const FlatTemplate& flat, const std::string& region_id);

// Refuses the first template key no decoder read, naming its template path: OpenECI never
// ignores part of a template.
Status RejectUnreadTemplateKeys(const Params& params, const FlatTemplate& flat);

// An error of the flat decoder over a template: a value of the wrong form is
// IncorrectUserTemplateFormat; every flat name in the message becomes its template path.
Status TemplateDecodeError(const Status& status);

}  // namespace openeci::api
