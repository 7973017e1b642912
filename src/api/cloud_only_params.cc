#include "api/cloud_only_params.h"

#include <unordered_map>

namespace openeci::api {
namespace {

constexpr const char* kNoEip = "needs Alibaba Cloud's EIP service";
constexpr const char* kNoSpot = "needs ECS spot (preemptible) billing";
constexpr const char* kNoIpv6 = "needs IPv6 addresses of an Alibaba Cloud VPC";
constexpr const char* kNoEcsHardware = "chooses the ECS instance hardware the group runs on";
constexpr const char* kNoDataCache = "needs ECI data caches (Alibaba Cloud disk snapshots)";
constexpr const char* kNoOwner = "needs Alibaba Cloud resource-owner delegation";

const std::unordered_map<std::string_view, const char*>& Table() {
  static const auto* table = new std::unordered_map<std::string_view, const char*>{
      {"EipInstanceId", kNoEip},
      {"AutoCreateEip", kNoEip},
      {"EipBandwidth", kNoEip},
      {"EipCommonBandwidthPackage", kNoEip},
      {"EipISP", kNoEip},
      {"Ipv6AddressCount", kNoIpv6},
      {"Ipv6AddressesCount", kNoIpv6},
      {"Ipv6GatewayBandwidth", kNoIpv6},
      {"Ipv6GatewayBandwidthEnable", kNoIpv6},
      {"SpotStrategy", kNoSpot},
      {"SpotPriceLimit", kNoSpot},
      {"SpotDuration", kNoSpot},
      {"StrictSpot", kNoSpot},
      {"RamRoleName", "needs Alibaba Cloud RAM roles (credentials from the instance metadata "
                      "service)"},
      {"SlsEnable", "needs Alibaba Cloud's Log Service (SLS)"},
      {"AcrRegistryInfo", "needs Alibaba Cloud Container Registry Enterprise Edition instances"},
      {"ImageAccelerateMode", "needs Alibaba Cloud's image acceleration"},
      {"HostSecurityContext", "sets sysctls of the ECS host a cloud group runs on, and a "
                              "self-hosted node's host is shared by every group"},
      {"FixedIp", "needs a fixed IP reserved in an Alibaba Cloud VSwitch"},
      {"FixedIpRetainHour", "needs a fixed IP reserved in an Alibaba Cloud VSwitch"},
      {"EphemeralStorage", "needs an extra Alibaba Cloud disk for temporary storage"},
      {"CpuArchitecture", kNoEcsHardware},
      {"CpuOptionsCore", kNoEcsHardware},
      {"CpuOptionsNuma", kNoEcsHardware},
      {"CpuOptionsThreadsPerCore", kNoEcsHardware},
      {"DataCacheBucket", kNoDataCache},
      {"DataCacheBurstingEnabled", kNoDataCache},
      {"DataCachePL", kNoDataCache},
      {"DataCacheProvisionedIops", kNoDataCache},
      {"EgressBandwidth", "limits the bandwidth of an Alibaba Cloud elastic network interface"},
      {"IngressBandwidth", "limits the bandwidth of an Alibaba Cloud elastic network interface"},
      {"ScheduleStrategy", "spreads groups over the zones of an Alibaba Cloud region"},
      {"OverheadReservationOption", "reserves ECS instance overhead"},
      {"ContainerResourceView", "needs ECI's per-container /proc view (LXCFS on ECS)"},
      {"OwnerAccount", kNoOwner},
      {"OwnerId", kNoOwner},
      {"ResourceOwnerAccount", kNoOwner},
      {"ResourceOwnerId", kNoOwner},
  };
  return *table;
}

}  // namespace

std::optional<std::string> CloudOnlyReason(std::string_view key) {
  for (std::string_view name : {key, key.substr(0, key.find('.'))}) {
    auto it = Table().find(name);
    if (it != Table().end()) {
      return std::string(it->second) + ", which a self-hosted OpenECI node does not have";
    }
  }
  return std::nullopt;
}

}  // namespace openeci::api
