// A persistent pool of worker threads for the kernels. The calling thread always takes part,
// so a pool of n threads owns n - 1 workers. Workers spin briefly after each job (kernels of
// one training step follow each other within microseconds) and then sleep on a condition
// variable.
//
// A job is n tasks; whichever thread is free claims the next unclaimed task, so a worker that
// is slow to wake (asleep, or descheduled on a busy machine) never holds the caller up: the
// caller runs the tasks nobody has claimed. Tasks must give every output element to exactly
// one task, computed the same way whoever runs it, so results depend on neither the thread
// count nor the schedule.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace mtf {

class ThreadPool {
 public:
  using Task = void (*)(void* ctx, int task, int ntasks);

  // The process-wide pool; never destroyed (workers may be parked at exit).
  static ThreadPool& instance();

  // Total threads including the caller; clamped to [1, kMaxThreads].
  void set_threads(int n);
  int threads() const { return threads_.load(std::memory_order_relaxed); }

  // Runs task(ctx, t, n) for t in [0, n) with n = min(ntasks, threads()) and returns when all
  // are done; the caller runs tasks too. If another thread is already using the pool, the
  // caller runs the job alone as one task (t = 0, n = 1).
  void run(int ntasks, Task task, void* ctx);

  static constexpr int kMaxThreads = 256;

 private:
  ThreadPool() = default;
  void worker_loop(uint64_t seen);
  void run_claims(uint64_t seq, int ntasks);
  void stop_workers();
  void start_workers(int count);

  std::atomic<int> threads_{1};
  std::mutex run_mutex_;  // one job at a time
  uint64_t seq_ = 0;      // sequence number of the latest job (under run_mutex_)

  std::vector<std::thread> workers_;
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
  // (job sequence << 16) | task count: what workers wait on.
  std::atomic<uint64_t> job_word_{0};
  // (job sequence << 16) | next unclaimed task: a claim succeeds only for the current job,
  // so a late worker can never run (or read the fields of) a job that has moved on.
  std::atomic<uint64_t> claim_{0};
  std::atomic<int> done_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};

  // The current job, published by the store to claim_ and stable until done_ reaches the task
  // count.
  Task task_ = nullptr;
  void* ctx_ = nullptr;
};

// Splits [0, count) into n contiguous ranges whose boundaries are multiples of `align`
// (except the end); range t is [*begin, *end).
inline void split_range(long count, long align, int n, int t, long* begin, long* end) {
  const long units = (count + align - 1) / align;
  const long base = units / n, extra = units % n;
  const long u0 = t * base + (t < extra ? t : extra);
  const long u1 = u0 + base + (t < extra ? 1 : 0);
  *begin = u0 * align < count ? u0 * align : count;
  *end = u1 * align < count ? u1 * align : count;
}

// Runs fn(t, n) for the tasks t of a job of up to ntasks tasks on the pool.
template <typename Fn>
void parallel_run(int ntasks, Fn& fn) {
  if (ntasks <= 1) {
    fn(0, 1);
    return;
  }
  ThreadPool::instance().run(
      ntasks, [](void* ctx, int t, int n) { (*static_cast<Fn*>(ctx))(t, n); }, &fn);
}

}  // namespace mtf
