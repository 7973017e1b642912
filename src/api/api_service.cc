#include "api/api_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

#include "api/errors.h"
#include "api/percent.h"
#include "api/render.h"
#include "common/ids.h"
#include "common/utf8.h"

namespace openeci::api {
namespace {

// Parameters every RPC call may carry besides the action's own.
const std::set<std::string, std::less<>>& CommonParams() {
  static const auto* kCommon = new std::set<std::string, std::less<>>{
      "Action",          "Version",          "Format",       "AccessKeyId",
      "Signature",       "SignatureMethod",  "SignatureVersion", "SignatureNonce",
      "SignatureType",   "Timestamp",        "SecurityToken", "OwnerId",
      "OwnerAccount",    "ResourceOwnerId",  "ResourceOwnerAccount"};
  return *kCommon;
}

// Parameters that differ between two identical requests (signing) or that name the
// idempotency token itself; excluded from the request fingerprint.
bool VariesPerAttempt(const std::string& key) {
  return key == "Signature" || key == "SignatureNonce" || key == "Timestamp" ||
         key == "AccessKeyId" || key == "Format" || key == "SignatureMethod" ||
         key == "SignatureVersion" || key == "SecurityToken" || key == "ClientToken";
}

std::string Fingerprint(const std::string& action, const std::map<std::string, std::string>& p) {
  std::string canon = action;
  for (const auto& [k, v] : p) {
    if (VariesPerAttempt(k)) continue;
    canon += "&" + PercentEncode(k) + "=" + PercentEncode(v);
  }
  return Sha256Hex(canon);
}

std::string HeaderOr(const HttpRequest& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

// The Code an error answer carries (RenderError's rule).
std::string ErrorCodeOf(const Status& st) {
  return st.api_code().empty() ? "InternalError" : st.api_code();
}

const std::string kUnknownAction = "unknown";

// Adds the decoded (key, value) pairs to `params`. A key given twice (in the query, in the
// body, or in both) is refused naming it: which of the values was meant cannot be told, and
// the signature covers each key once.
Status AddEachOnce(std::vector<std::pair<std::string, std::string>> pairs,
                   std::map<std::string, std::string>& params) {
  for (auto& [k, v] : pairs) {
    if (!params.emplace(k, std::move(v)).second) {
      return InvalidParameter("The parameter \"" + ValidUtf8(k) +
                              "\" is given more than once; give each parameter once.");
    }
  }
  return Status::Ok();
}

bool IsFormBody(const HttpRequest& r) {
  std::string ct = HeaderOr(r, "content-type");
  return ct.find("application/x-www-form-urlencoded") != std::string::npos;
}

}  // namespace

struct ApiService::Decoded {
  std::string action;
  bool xml = false;
};

ApiService::ApiService(ApiEnv env, Authenticator& authenticator, std::string host_id)
    : env_(env), authenticator_(authenticator), host_id_(std::move(host_id)) {
  actions_ = {
      {"DescribeRegions", &DescribeRegions},
      {"CreateContainerGroup", &CreateContainerGroup},
      {"DescribeContainerGroups", &DescribeContainerGroups},
      {"DeleteContainerGroup", &DeleteContainerGroup},
      {"RestartContainerGroup", &RestartContainerGroup},
      {"CreateImageCache", &CreateImageCache},
      {"DescribeImageCaches", &DescribeImageCaches},
      {"DeleteImageCache", &DeleteImageCache},
      {"DescribeContainerLog", &DescribeContainerLog},
      {"ExecContainerCommand", &ExecContainerCommand},
      {"DescribeContainerGroupMetric", &DescribeContainerGroupMetric},
      {"DescribeMultiContainerGroupMetric", &DescribeMultiContainerGroupMetric},
      {"UpdateContainerGroup", &UpdateContainerGroup},
      {"CreateContainerGroupFromTemplate", &CreateContainerGroupFromTemplate},
      {"UpdateContainerGroupByTemplate", &UpdateContainerGroupByTemplate},
      {"ExportContainerGroupTemplate", &ExportContainerGroupTemplate},
  };
}

StatusOr<boost::json::object> ApiService::Run(const HttpRequest& request,
                                              const std::string& request_id, Decoded& decoded) {
  if (request.method != "GET" && request.method != "POST") {
    return Status(StatusClass::kPermissionDenied, "UnsupportedHTTPMethod",
                  "This http method is not supported: " + request.method + ".");
  }
  SignedRequest signed_request;
  signed_request.method = request.method;
  signed_request.headers = request.headers;
  signed_request.body = request.body;
  std::string_view target = request.target;
  std::string_view path = target.substr(0, target.find('?'));
  if (path != "/") {
    return NotFoundError("InvalidAction.NotFound",
                         "Specified api is not found, please check your url and method: " +
                             std::string(path));
  }
  if (path.size() < target.size()) {
    ASSIGN_OR_RETURN(auto query, ParseUrlEncoded(target.substr(path.size() + 1)));
    RETURN_IF_ERROR(AddEachOnce(std::move(query), signed_request.query));
  }
  signed_request.params = signed_request.query;
  if (request.method == "POST" && IsFormBody(request) && !request.body.empty()) {
    ASSIGN_OR_RETURN(auto form, ParseUrlEncoded(request.body));
    RETURN_IF_ERROR(AddEachOnce(std::move(form), signed_request.params));
  }
  const auto& params = signed_request.params;
  auto format = params.find("Format");
  decoded.xml = format != params.end() && (format->second == "XML" || format->second == "xml");
  auto action_param = params.find("Action");
  decoded.action =
      action_param != params.end() ? action_param->second : HeaderOr(request, "x-acs-action");
  if (decoded.action.empty()) {
    return MissingParameter("The input parameter \"Action\" that is mandatory for processing "
                            "this request is not supplied.");
  }
  auto version_param = params.find("Version");
  std::string version =
      version_param != params.end() ? version_param->second : HeaderOr(request, "x-acs-version");
  if (version.empty()) {
    return MissingParameter("The input parameter \"Version\" that is mandatory for processing "
                            "this request is not supplied.");
  }
  if (version != kApiVersion) {
    return InvalidParameterCode("InvalidVersion", "Specified parameter Version \"" + version +
                                                      "\" is not valid; use 2018-08-08.");
  }
  ASSIGN_OR_RETURN(core::AccessKey caller, authenticator_.Authenticate(signed_request));
  if (env_.throttle != nullptr) {
    RETURN_IF_ERROR(env_.throttle->Admit(caller.account_id, decoded.action));
  }
  auto action = actions_.find(decoded.action);
  if (action == actions_.end()) {
    return Status(StatusClass::kPermissionDenied, "InvalidAction",
                  "The specified action \"" + decoded.action + "\" is invalid.");
  }
  RequestContext ctx{request_id, decoded.action, std::move(caller),
                     Fingerprint(decoded.action, params)};
  ASSIGN_OR_RETURN(Params typed, Params::Create(params));
  for (const auto& [k, v] : params) {
    if (CommonParams().count(k)) typed.Consume(k);
  }
  return action->second(env_, ctx, typed);
}

HttpResponse ApiService::Handle(const HttpRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  std::string request_id = NewRequestId();
  Decoded decoded;
  StatusOr<boost::json::object> result = Run(request, request_id, decoded);
  if (!result.ok()) {
    spdlog::debug("{} {} -> {}", request_id, decoded.action, result.status().ToString());
    HttpResponse r = RenderError(result.status(), request_id, host_id_, decoded.xml);
    Report(decoded.action, r.status, ErrorCodeOf(result.status()), started);
    return r;
  }
  boost::json::object body = std::move(result).value();
  body["RequestId"] = request_id;
  HttpResponse r = decoded.xml ? RenderXml(decoded.action + "Response", body) : RenderJson(body);
  r.headers["x-acs-request-id"] = request_id;
  Report(decoded.action, r.status, "", started);
  return r;
}

HttpResponse ApiService::HandleUnparsable(int http_status, const std::string& reason) {
  Status st(StatusClass::kInvalidArgument, "InvalidParameter",
            "The request could not be read: " + reason + ".");
  HttpResponse r = RenderError(st, NewRequestId(), host_id_, false);
  r.status = http_status;
  Report("", r.status, "InvalidParameter", std::chrono::steady_clock::now());
  return r;
}

void ApiService::Report(const std::string& action, int http_status, const std::string& error_code,
                        std::chrono::steady_clock::time_point started) const {
  if (env_.request_observer == nullptr) return;
  const std::string& known = actions_.count(action) ? action : kUnknownAction;
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  env_.request_observer->OnApiRequest(known, http_status, error_code, took.count());
}

}  // namespace openeci::api
