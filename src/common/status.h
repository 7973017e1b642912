// Status: the one error type of OpenECI (no exceptions cross module boundaries).
//
// A Status carries a canonical class (what kind of failure it is, used by the code to decide
// what to do) and, optionally, the Alibaba Cloud API error code it should become at the edge
// (e.g. "InvalidParameter.DuplicatedName"). Exactly one place, api/errors.cc, turns a Status
// into an HTTP status and an error body. Value type; not thread-safe to mutate concurrently.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace openeci {

enum class StatusClass {
  kOk,
  kInvalidArgument,     // 400: the caller sent something wrong
  kNotFound,            // 404
  kFailedPrecondition,  // 400/403: valid request, wrong state (IncorrectStatus, ...)
  kAlreadyExists,       // 409
  kUnauthenticated,     // 400/403/404: signature, key, timestamp, nonce
  kPermissionDenied,    // 403
  kResourceExhausted,   // 403: quota, stock
  kAborted,             // compare-and-swap lost; the caller retries
  kUnavailable,         // 503: a dependency (containerd, registry) did not answer
  kInternal,            // 500: a bug or an unexpected failure
};

class Status {
 public:
  Status() = default;
  Status(StatusClass cls, std::string api_code, std::string message)
      : cls_(cls), api_code_(std::move(api_code)), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return cls_ == StatusClass::kOk; }
  StatusClass cls() const { return cls_; }
  // The Alibaba Cloud error code ("InvalidParameter", "IncorrectStatus", ...); may be empty for
  // internal errors, which the edge reports as InternalError.
  const std::string& api_code() const { return api_code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  StatusClass cls_ = StatusClass::kOk;
  std::string api_code_;
  std::string message_;
};

// Constructors for the common cases; each names its API code.
Status InvalidParameter(std::string message);  // InvalidParameter, 400
Status InvalidParameterCode(std::string code, std::string message);  // InvalidParameter.*, 400
Status MissingParameter(std::string message);   // MissingParameter, 400
Status NotFoundError(std::string code, std::string message);
Status IncorrectStatus(std::string message);    // IncorrectStatus, 400
Status InternalError(std::string message);      // InternalError, 500
Status UnavailableError(std::string message);   // ServiceUnavailable, 503
Status AbortedError(std::string message);       // store CAS conflict

// StatusOr<T>: a value or the reason there is none.
template <typename T>
class StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}            // NOLINT: implicit on purpose
  StatusOr(Status status) : v_(std::move(status)) {}      // NOLINT: implicit on purpose

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

#define OPENECI_CONCAT_INNER(a, b) a##b
#define OPENECI_CONCAT(a, b) OPENECI_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` (a Status) is not ok.
#define RETURN_IF_ERROR(expr)                    \
  do {                                           \
    ::openeci::Status _st = (expr);              \
    if (!_st.ok()) return _st;                   \
  } while (0)

// `lhs` = value of `expr` (a StatusOr), or returns its Status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(OPENECI_CONCAT(_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

}  // namespace openeci
