#include "core/group_update.h"

#include "core/described_equal.h"

namespace openeci::core {
namespace {

Status CannotUpdate(const std::string& param, double stored) {
  std::string value = std::to_string(stored);
  value.erase(value.find_last_not_of('0') + 1);
  if (!value.empty() && value.back() == '.') value.pop_back();
  return InvalidParameter("The parameter \"" + param +
                          "\" cannot be updated: the container group's " + param + " is " +
                          value + "; leave it out or give the same value.");
}

template <typename T>
void Replace(T& field, const std::optional<T>& given) {
  if (given.has_value()) field = *given;
}

}  // namespace

StatusOr<ContainerGroupSpec> ApplyUpdate(const ContainerGroupSpec& current,
                                         const GroupUpdate& update) {
  if (update.cpu && *update.cpu != current.cpu) return CannotUpdate("Cpu", current.cpu);
  if (update.memory_gib && *update.memory_gib != current.memory_gib) {
    return CannotUpdate("Memory", current.memory_gib);
  }
  ContainerGroupSpec next = current;
  Replace(next.restart_policy, update.restart_policy);
  Replace(next.tags, update.tags);
  Replace(next.volumes, update.volumes);
  Replace(next.dns_config, update.dns_config);
  Replace(next.containers, update.containers);
  Replace(next.init_containers, update.init_containers);
  Replace(next.credentials, update.credentials);
  Replace(next.resource_group_id, update.resource_group_id);
  return next;
}

bool SameSpec(const ContainerGroupSpec& a, const ContainerGroupSpec& b) {
  return SameValue(a, b);
}

bool UpdateNeedsRestart(const ContainerGroupSpec& before, const ContainerGroupSpec& after) {
  if (after.credentials.size() > before.credentials.size()) return true;
  ContainerGroupSpec without_metadata = after;
  without_metadata.tags = before.tags;
  without_metadata.resource_group_id = before.resource_group_id;
  without_metadata.credentials = before.credentials;
  return !SameSpec(before, without_metadata);
}

}  // namespace openeci::core
