// WorkQueue: a de-duplicating queue of keys with delayed adds, after Kubernetes' workqueue.
// A key is never handed to two workers at once; a key added while it is being processed is
// queued again once Done() is called. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace openeci::controller {

class WorkQueue {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  // Queues `key` unless it is already waiting.
  void Add(const std::string& key) {
    std::lock_guard lock(mu_);
    AddLocked(key);
  }

  // Queues `key` after `delay` (an earlier pending delayed add for it wins).
  void AddAfter(const std::string& key, std::chrono::milliseconds delay) {
    if (delay.count() <= 0) return Add(key);
    std::lock_guard lock(mu_);
    SteadyTime due = std::chrono::steady_clock::now() + delay;
    auto it = delayed_by_key_.find(key);
    if (it != delayed_by_key_.end()) {
      if (it->second <= due) return;
      delayed_.erase({it->second, key});
    }
    delayed_by_key_[key] = due;
    delayed_.insert({due, key});
    cv_.notify_all();
  }

  // Blocks until a key is ready or the queue shuts down (nullopt).
  std::optional<std::string> Get() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (shutdown_) return std::nullopt;
      PromoteDueLocked();
      if (!queue_.empty()) {
        std::string key = queue_.front();
        queue_.pop_front();
        queued_.erase(key);
        processing_.insert(key);
        return key;
      }
      if (delayed_.empty()) {
        cv_.wait(lock);
      } else {
        // A copy: wait_until reads its deadline again after waking, when an AddAfter of
        // another thread may have erased that set entry (a heap-use-after-free, ASan).
        const SteadyTime next_due = delayed_.begin()->first;
        cv_.wait_until(lock, next_due);
      }
    }
  }

  // Marks `key` as processed; re-queues it if it was added meanwhile.
  void Done(const std::string& key) {
    std::lock_guard lock(mu_);
    processing_.erase(key);
    if (dirty_.erase(key)) AddLocked(key);
  }

  void ShutDown() {
    std::lock_guard lock(mu_);
    shutdown_ = true;
    cv_.notify_all();
  }

  size_t Length() {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

 private:
  void AddLocked(const std::string& key) {
    if (processing_.count(key)) {
      dirty_.insert(key);
      return;
    }
    if (queued_.insert(key).second) {
      queue_.push_back(key);
      cv_.notify_one();
    }
  }

  void PromoteDueLocked() {
    SteadyTime now = std::chrono::steady_clock::now();
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      std::string key = delayed_.begin()->second;
      delayed_.erase(delayed_.begin());
      delayed_by_key_.erase(key);
      AddLocked(key);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_;
  std::set<std::string> processing_;
  std::set<std::string> dirty_;
  std::set<std::pair<SteadyTime, std::string>> delayed_;
  std::map<std::string, SteadyTime> delayed_by_key_;
  bool shutdown_ = false;
};

}  // namespace openeci::controller
