// Rendering of a group's security and name-resolution settings in the SDK's response shape
// (DescribeContainerGroupsResponseBody): a container's SecurityContext, Stdin/StdinOnce/Tty,
// and the group's HostAliases, DnsConfig, EciSecurityContext.Sysctls, NtpServers and
// DnsPolicy. Shared by every answer that shows a container or a group (containers and init
// containers alike). Thread-safe (pure functions).
#pragma once

#include <boost/json.hpp>

#include "core/model.h"

namespace openeci::api {

// {"Capability": {"Adds": [...]}, "ReadOnlyRootFilesystem": b, "RunAsUser": uid (when set)}.
boost::json::object RenderSecurityContext(const core::SecurityContextSpec& sc);

// Sets SecurityContext, Stdin, StdinOnce and Tty of a rendered container.
void RenderContainerSecurity(const core::ContainerSpec& spec, boost::json::object& container);

// Sets HostAliases, DnsConfig, EciSecurityContext, NtpServers and DnsPolicy of a rendered
// group. NtpServers and DnsPolicy are not in the 2.0.3 SDK's model (its users do not see them;
// pop-core and raw JSON users do).
void RenderPodSettings(const core::ContainerGroupSpec& spec, boost::json::object& group);

}  // namespace openeci::api
