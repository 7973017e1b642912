// PullObserver: told about every image pull the controllers make (for the operations
// metrics). Implementations must be thread-safe and quick: they run on controller workers.
#pragma once

#include <chrono>

namespace openeci::controller {

enum class PullSource { kContainerGroup, kImageCache };

class PullObserver {
 public:
  virtual ~PullObserver() = default;
  virtual void OnImagePull(PullSource source, bool ok, double seconds) = 0;
};

// Tells `observer` (may be null) about a pull that began at `started`.
inline void ReportPull(PullObserver* observer, PullSource source, bool ok,
                       std::chrono::steady_clock::time_point started) {
  if (observer == nullptr) return;
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  observer->OnImagePull(source, ok, took.count());
}

}  // namespace openeci::controller
