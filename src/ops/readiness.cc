#include "ops/readiness.h"

namespace openeci::ops {

TimedProbe::TimedProbe(std::string name, Check check, std::chrono::milliseconds timeout)
    : name_(std::move(name)), check_(std::move(check)), timeout_(timeout) {}

TimedProbe::~TimedProbe() {
  std::lock_guard lock(thread_mu_);
  if (thread_.joinable()) thread_.join();
}

void TimedProbe::Begin() {
  std::lock_guard thread_lock(thread_mu_);
  {
    std::lock_guard lock(shared_->mu);
    if (shared_->running) return;  // the check still blocked answers this call too
    shared_->running = true;
  }
  if (thread_.joinable()) thread_.join();  // finished: it set running = false
  thread_ = std::thread([shared = shared_, check = check_] {
    StatusOr<std::string> result = check();
    std::lock_guard lock(shared->mu);
    shared->result = std::move(result);
    shared->running = false;
    shared->cv.notify_all();
  });
}

StatusOr<std::string> TimedProbe::Await(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(shared_->mu);
  if (!shared_->cv.wait_until(lock, deadline, [this] { return !shared_->running; })) {
    return UnavailableError(name_ + " did not answer within " + std::to_string(timeout_.count()) +
                            " ms");
  }
  return shared_->result;
}

StatusOr<std::string> TimedProbe::Run() {
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  Begin();
  return Await(deadline);
}

Readiness::Readiness(std::vector<TimedProbe*> probes) : probes_(std::move(probes)) {}

ReadinessResult Readiness::Check() {
  auto now = std::chrono::steady_clock::now();
  for (TimedProbe* p : probes_) p->Begin();
  ReadinessResult out;
  out.ready = true;
  for (TimedProbe* p : probes_) {
    StatusOr<std::string> r = p->Await(now + p->timeout());
    if (r.ok()) {
      out.report += p->name() + ": ok" + (r->empty() ? "" : " (" + *r + ")") + "\n";
    } else {
      out.ready = false;
      out.report += p->name() + ": " + r.status().message() + "\n";
    }
  }
  return out;
}

}  // namespace openeci::ops
