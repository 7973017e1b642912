// The request parameters of the ECI API (SDK 2.0.3 models) that need an Alibaba Cloud service
// a self-hosted OpenECI node does not have (EIP, RAM, SLS, spot billing, ...), each with the
// reason; RejectUnsupported uses it to say why such a parameter is refused. Immutable table;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace openeci::api {

// Why `key` (a flat parameter such as "AcrRegistryInfo.1.InstanceId") cannot be honoured by a
// self-hosted node, or nullopt when it is not a cloud-only parameter. Matched on the key
// itself and on its first component ("AcrRegistryInfo").
std::optional<std::string> CloudOnlyReason(std::string_view key);

}  // namespace openeci::api
