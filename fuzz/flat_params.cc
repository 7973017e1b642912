// Fuzz target: flat RPC parameters as a query string or form body -> Params -> the
// CreateContainerGroup and UpdateContainerGroup decoders -> core validation, as the handlers
// run them. Properties: bad input is a client error; a spec that passes validation survives the
// store's encoding unchanged; an update applied to it is validated like a create.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "api/params.h"
#include "api/percent.h"
#include "api/spec_params.h"
#include "core/group_update.h"
#include "fuzz_check.h"
#include "spec_checker.h"
#include "store/codec.h"

namespace {

using namespace openeci;

// The parameters as ApiService merges them (a repeated key: the last one wins).
StatusOr<api::Params> Decode(std::string_view text) {
  ASSIGN_OR_RETURN(auto pairs, api::ParseUrlEncoded(text));
  std::map<std::string, std::string> values;
  for (auto& [k, v] : pairs) values[k] = std::move(v);
  return api::Params::Create(std::move(values));
}

void CheckStoreRoundTrip(const core::ContainerGroupSpec& spec) {
  StatusOr<core::ContainerGroupSpec> back = store::DecodeSpec(store::EncodeSpec(spec));
  if (!back.ok())
    fuzz::Finding("a valid spec does not decode from the store: " + back.status().ToString());
  if (!core::SameSpec(spec, *back)) fuzz::Finding("a valid spec changes through the store");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::SpecChecker& checker = *new fuzz::SpecChecker();
  std::string_view text = fuzz::AsText(data, size);

  StatusOr<api::Params> params = Decode(text);
  if (!params.ok()) {
    fuzz::RequireClientError(params.status(), "params");
    return 0;
  }
  StatusOr<core::ContainerGroupSpec> spec = api::DecodeGroupSpec(*params);
  fuzz::RequireClientError(spec.status(), "DecodeGroupSpec");
  if (spec.ok()) {
    Status checked = checker.groups.Check(*spec);
    fuzz::RequireClientError(checked, "Check");
    if (checked.ok()) CheckStoreRoundTrip(*spec);
  }
  params->Unconsumed();

  // The same parameters as an UpdateContainerGroup request, applied to the spec when valid.
  StatusOr<api::Params> update_params = Decode(text);
  StatusOr<core::GroupUpdate> update = api::DecodeGroupUpdate(*update_params);
  fuzz::RequireClientError(update.status(), "DecodeGroupUpdate");
  if (update.ok() && spec.ok()) {
    StatusOr<core::ContainerGroupSpec> updated = core::ApplyUpdate(*spec, *update);
    fuzz::RequireClientError(updated.status(), "ApplyUpdate");
    if (updated.ok()) fuzz::RequireClientError(checker.groups.Check(*updated), "Check(update)");
  }
  return 0;
}
