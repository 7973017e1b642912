#include "core/admission.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "core/lifecycle.h"

namespace openeci::core {
namespace {

constexpr double kEpsilon = 1e-9;

// At most two decimals, without trailing zeros: "0.25", "7.04", "8".
std::string Amount(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

Status NoStock(const std::string& why) {
  return Status(StatusClass::kResourceExhausted, "OperationDenied.NoStock",
                "Sales of this resource are temporarily suspended in the specified region; "
                "please try again later. " + why);
}

Status CheckContainerGpus(const std::vector<ContainerSpec>& containers, const char* list,
                          const NodeCapacity& capacity) {
  for (size_t i = 0; i < containers.size(); ++i) {
    if (containers[i].gpu > capacity.gpus) {
      std::string param = std::string(list) + "." + std::to_string(i + 1) + ".Gpu";
      return NoStock("The parameter \"" + param + "\" asks for " +
                     std::to_string(containers[i].gpu) + " GPU(s), but this OpenECI node has " +
                     (capacity.gpus == 0 ? "no GPUs" : std::to_string(capacity.gpus) + " GPU(s)") +
                     ".");
    }
  }
  return Status::Ok();
}

}  // namespace

bool HoldsResources(const ContainerGroup& group) {
  return !group.deleting && !IsTerminal(group.status.phase);
}

ResourceUse LiveUse(const std::vector<ContainerGroup>& groups, const std::string& account_id) {
  ResourceUse use;
  for (const ContainerGroup& g : groups) {
    if (!HoldsResources(g)) continue;
    use.cpu += g.spec.cpu;
    use.memory_gib += g.spec.memory_gib;
    if (account_id.empty() || g.account_id == account_id) ++use.groups;
  }
  return use;
}

Status CheckGpus(const ContainerGroupSpec& spec, const NodeCapacity& capacity) {
  RETURN_IF_ERROR(CheckContainerGpus(spec.init_containers, "InitContainer", capacity));
  return CheckContainerGpus(spec.containers, "Container", capacity);
}

Status CheckCapacity(const ContainerGroupSpec& spec, const ResourceUse& used,
                     const NodeCapacity& capacity) {
  double free_cpu = capacity.cpu - used.cpu;
  double free_memory = capacity.memory_gib - used.memory_gib;
  if (spec.cpu > free_cpu + kEpsilon || spec.memory_gib > free_memory + kEpsilon) {
    return NoStock("The container group needs Cpu " + Amount(spec.cpu) + " and Memory " +
                   Amount(spec.memory_gib) + " GiB; this node has " +
                   Amount(std::max(0.0, free_cpu)) + " vCPUs and " +
                   Amount(std::max(0.0, free_memory)) + " GiB free (of " + Amount(capacity.cpu) +
                   " and " + Amount(capacity.memory_gib) + " GiB).");
  }
  return Status::Ok();
}

Status CheckQuota(int64_t account_groups, int64_t max) {
  if (max > 0 && account_groups >= max) {
    return Status(StatusClass::kResourceExhausted, "QuotaExceeded",
                  "ContainerGroup quota exceeded. This account already holds " +
                      std::to_string(account_groups) + " live container groups (the limit is " +
                      std::to_string(max) + ").");
  }
  return Status::Ok();
}

}  // namespace openeci::core
