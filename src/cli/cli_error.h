// CliError: why an `eci` command stopped, and the exit code scripts see.
//
// The CLI is the one place in OpenECI that uses exceptions for errors, on purpose: every command
// is a straight script of API calls in which any failure ends the process, so a CliError thrown
// anywhere unwinds (restoring the terminal through RAII guards) to the single catch in main,
// which prints it and exits with its code. Library code it calls (api/signature) stays
// Status-based. Value type; thread-compatible.
#pragma once

#include <stdexcept>
#include <string>

namespace openeci::cli {

// The documented exit codes (`eci --help`, README). `exec` exits with the remote command's code.
enum class ExitCode : int {
  kOk = 0,
  kApiError = 1,         // the API answered with an error, or a waited-for group failed
  kUsageError = 2,       // bad flags or arguments, unknown profile, no endpoint, unreadable file
  kConnectionError = 3,  // the endpoint could not be reached or answered something not API-like
};

class CliError : public std::runtime_error {
 public:
  CliError(ExitCode exit_code, std::string code, std::string message, std::string request_id = "",
           std::string hint = "")
      : std::runtime_error(message),
        exit_code_(exit_code),
        code_(std::move(code)),
        message_(std::move(message)),
        request_id_(std::move(request_id)),
        hint_(std::move(hint)) {}

  ExitCode exit_code() const { return exit_code_; }
  const std::string& code() const { return code_; }  // the API's Code; empty for local errors
  const std::string& message() const { return message_; }
  const std::string& request_id() const { return request_id_; }
  const std::string& hint() const { return hint_; }

  // "Error: <Code>: <Message> (RequestId <id>)" and, on a second line, "Hint: <hint>".
  std::string Render() const;

 private:
  ExitCode exit_code_;
  std::string code_;
  std::string message_;
  std::string request_id_;
  std::string hint_;
};

inline CliError UsageError(std::string message, std::string hint = "") {
  return CliError(ExitCode::kUsageError, "", std::move(message), "", std::move(hint));
}

}  // namespace openeci::cli
