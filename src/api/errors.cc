#include "api/errors.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <string_view>
#include <unordered_map>

#include "api/render.h"
#include "common/utf8.h"

namespace openeci::api {
namespace {

// Codes whose HTTP status differs from what their class implies (API reference, section 4 and
// the per-operation tables).
const std::unordered_map<std::string_view, int>& CodeStatuses() {
  static const auto* table = new std::unordered_map<std::string_view, int>{
      {"InvalidParameter.NotFound", 404},
      {"InvalidAccessKeyId.NotFound", 404},
      {"InvalidVSwitchId.NotFound", 404},
      {"InvalidSecurityGroupId.NotFound", 404},
      {"ImageSnapshot.NotFound", 404},
      {"InvalidAction", 403},
      {"RegionNotSupported", 403},
      {"Zone.NotOnSale", 403},
      {"QuotaExceeded", 403},
      {"OperationDenied.NoStock", 403},
      {"OperationDenied.VswZoneMismatch", 403},
      {"Forbidden.AccessKeyDisabled", 403},
      {"UnsupportedHTTPMethod", 403},
      {"Throttling", 400},
      {"OperationConflict", 409},
  };
  return *table;
}

int StatusForClass(StatusClass cls) {
  switch (cls) {
    case StatusClass::kOk:
      return 200;
    case StatusClass::kInvalidArgument:
    case StatusClass::kFailedPrecondition:
    case StatusClass::kUnauthenticated:
      return 400;
    case StatusClass::kNotFound:
      return 404;
    case StatusClass::kPermissionDenied:
    case StatusClass::kResourceExhausted:
      return 403;
    case StatusClass::kAlreadyExists:
    case StatusClass::kAborted:
      return 409;
    case StatusClass::kUnavailable:
      return 503;
    case StatusClass::kInternal:
      return 500;
  }
  return 500;
}

}  // namespace

int HttpStatusFor(const Status& status) {
  auto it = CodeStatuses().find(status.api_code());
  return it != CodeStatuses().end() ? it->second : StatusForClass(status.cls());
}

HttpResponse RenderError(const Status& status, const std::string& request_id,
                         const std::string& host_id, bool xml) {
  int http_status = HttpStatusFor(status);
  std::string code = status.api_code().empty() ? "InternalError" : status.api_code();
  std::string message = status.message();
  if (http_status >= 500 && status.cls() == StatusClass::kInternal) {
    // Details of internal failures go to the log, not to the caller.
    spdlog::error("request {} failed: {}", request_id, status.ToString());
    message = "An internal error occurred while processing your request.";
  }
  boost::json::object body;
  body["RequestId"] = request_id;
  body["HostId"] = host_id;
  body["Code"] = code;
  // Messages echo what the caller sent (an action, a version, a key), which may be any bytes.
  body["Message"] = ValidUtf8(message);
  body["Recommend"] = "https://api.aliyun.com/troubleshoot?q=" + code;
  HttpResponse r = xml ? RenderXml("Error", body) : RenderJson(body);
  r.status = http_status;
  r.headers["x-acs-request-id"] = request_id;
  return r;
}

}  // namespace openeci::api
