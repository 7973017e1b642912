// Topology: the region, zones, VSwitches (each a subnet) and security groups this node offers.
// Configuration, read once at start; immutable afterwards, so safe to share between threads.
#pragma once

#include <string>
#include <vector>

namespace openeci::core {

struct VSwitch {
  std::string id;
  std::string zone_id;
  std::string cidr;  // e.g. "10.88.0.0/16"
};

struct Topology {
  std::string region_id = "cn-hangzhou";
  std::string endpoint = "127.0.0.1:18080";
  std::vector<std::string> zones = {"cn-hangzhou-a"};
  std::vector<VSwitch> vswitches = {{"vsw-openeci-default", "cn-hangzhou-a", "10.88.0.0/16"}};
  std::vector<std::string> security_groups = {"sg-openeci-default"};

  const VSwitch* FindVSwitch(const std::string& id) const {
    for (const VSwitch& v : vswitches) {
      if (v.id == id) return &v;
    }
    return nullptr;
  }
  bool HasZone(const std::string& zone) const {
    for (const std::string& z : zones) {
      if (z == zone) return true;
    }
    return false;
  }
  bool HasSecurityGroup(const std::string& sg) const {
    for (const std::string& s : security_groups) {
      if (s == sg) return true;
    }
    return false;
  }
};

}  // namespace openeci::core
