// Identifiers: container-group IDs, request IDs and random secrets, all from OpenSSL's CSPRNG.
// Thread-safe.
#pragma once

#include <string>

namespace openeci {

// `prefix` + "-" + `length` random lowercase alphanumerics, e.g. NewResourceId("eci", 20).
std::string NewResourceId(const std::string& prefix, int length = 20);
// An upper-case UUID-shaped request ID, "0E234675-3465-4CC3-9D0F-9A864BC391DD".
std::string NewRequestId();
// `length` random characters of [A-Za-z0-9] (AccessKey IDs and secrets).
std::string RandomAlnum(int length);
// `length` random lowercase hex digits (signature nonces: 32 of them, as the SDKs send).
std::string RandomHex(int length);

}  // namespace openeci
