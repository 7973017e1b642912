#include "controller/work_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace openeci::controller {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueue, ADelayedAddReachesAWorkerWhenDue) {
  WorkQueue queue;
  queue.AddAfter("g-1", 1ms);
  EXPECT_EQ(queue.Get(), "g-1");
}

// A worker waits for the only delayed key; a sooner AddAfter of that key replaces the entry
// the worker's wait was computed from (before the fix, the worker read the erased entry's
// deadline when it woke: a heap-use-after-free under ASan).
TEST(WorkQueue, ASoonerAddAfterWakesAWorkerWaitingForALaterOne) {
  WorkQueue queue;
  queue.AddAfter("g-1", 1h);
  auto got = std::async(std::launch::async, [&] { return queue.Get(); });
  std::this_thread::sleep_for(50ms);  // let the worker block on the 1 h deadline
  queue.AddAfter("g-1", 1ms);
  ASSERT_EQ(got.wait_for(30s), std::future_status::ready) << "the sooner add did not wake it";
  EXPECT_EQ(got.get(), "g-1");
}

TEST(WorkQueue, ShutDownWakesAWaitingWorker) {
  WorkQueue queue;
  queue.AddAfter("g-1", 1h);
  auto got = std::async(std::launch::async, [&] { return queue.Get(); });
  queue.ShutDown();
  EXPECT_EQ(got.get(), std::nullopt);
}

}  // namespace
}  // namespace openeci::controller
