#include "common/status.h"

namespace openeci {

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out = api_code_.empty() ? std::string("error") : api_code_;
  out += ": ";
  out += message_;
  return out;
}

Status InvalidParameter(std::string message) {
  return Status(StatusClass::kInvalidArgument, "InvalidParameter", std::move(message));
}
Status InvalidParameterCode(std::string code, std::string message) {
  return Status(StatusClass::kInvalidArgument, std::move(code), std::move(message));
}
Status MissingParameter(std::string message) {
  return Status(StatusClass::kInvalidArgument, "MissingParameter", std::move(message));
}
Status NotFoundError(std::string code, std::string message) {
  return Status(StatusClass::kNotFound, std::move(code), std::move(message));
}
Status IncorrectStatus(std::string message) {
  return Status(StatusClass::kFailedPrecondition, "IncorrectStatus", std::move(message));
}
Status InternalError(std::string message) {
  return Status(StatusClass::kInternal, "InternalError", std::move(message));
}
Status UnavailableError(std::string message) {
  return Status(StatusClass::kUnavailable, "ServiceUnavailable", std::move(message));
}
Status AbortedError(std::string message) {
  return Status(StatusClass::kAborted, "OperationConflict", std::move(message));
}

}  // namespace openeci
