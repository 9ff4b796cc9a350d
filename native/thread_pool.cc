#include "thread_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MTF_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define MTF_CPU_RELAX() __asm__ __volatile__("yield")
#else
#define MTF_CPU_RELAX() ((void)0)
#endif

namespace mtf {

namespace {

// How long a worker keeps spinning for the next job before sleeping. Long enough to bridge
// the JavaScript glue between the kernels of one training step.
constexpr auto kSpinTime = std::chrono::microseconds(300);

constexpr uint64_t kLowMask = 0xffff;

}  // namespace

ThreadPool& ThreadPool::instance() {
  static ThreadPool* pool = new ThreadPool();
  return *pool;
}

void ThreadPool::set_threads(int n) {
  if (n < 1) n = 1;
  if (n > kMaxThreads) n = kMaxThreads;
  std::lock_guard<std::mutex> lock(run_mutex_);
  if (n == threads_.load(std::memory_order_relaxed)) return;
  stop_workers();
  threads_.store(n, std::memory_order_relaxed);
  // Workers start lazily with the first job that can use them.
}

void ThreadPool::stop_workers() {
  if (workers_.empty()) return;
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    stop_.store(true, std::memory_order_seq_cst);
    job_word_.store(++seq_ << 16, std::memory_order_seq_cst);
  }
  wake_.notify_all();
  for (std::thread& w : workers_) w.join();
  workers_.clear();
  stop_.store(false, std::memory_order_relaxed);
}

void ThreadPool::start_workers(int count) {
  // Workers start from the current job word, so a job published before they first run is
  // not missed.
  const uint64_t word = job_word_.load(std::memory_order_relaxed);
  workers_.reserve(count);
  for (int i = 0; i < count; ++i) workers_.emplace_back([this, word] { worker_loop(word); });
}

void ThreadPool::run(int ntasks, Task task, void* ctx) {
  std::unique_lock<std::mutex> lock(run_mutex_, std::try_to_lock);
  const int n = ntasks < threads() ? ntasks : threads();
  if (!lock.owns_lock() || n <= 1) {
    task(ctx, 0, 1);
    return;
  }
  if (static_cast<int>(workers_.size()) != threads() - 1) start_workers(threads() - 1);

  const uint64_t seq = ++seq_;
  task_ = task;
  ctx_ = ctx;
  done_.store(0, std::memory_order_relaxed);
  claim_.store(seq << 16, std::memory_order_release);
  job_word_.store(seq << 16 | static_cast<uint64_t>(n), std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> sleep_lock(sleep_mutex_);
    wake_.notify_all();
  }

  run_claims(seq, n);

  for (unsigned spins = 0; done_.load(std::memory_order_acquire) != n; ++spins) {
    if (spins < (1u << 16)) {
      MTF_CPU_RELAX();
    } else {
      std::this_thread::yield();
    }
  }
}

void ThreadPool::run_claims(uint64_t seq, int ntasks) {
  for (;;) {
    uint64_t c = claim_.load(std::memory_order_acquire);
    do {
      if (c >> 16 != seq || static_cast<int>(c & kLowMask) >= ntasks) return;
    } while (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel,
                                           std::memory_order_acquire));
    task_(ctx_, static_cast<int>(c & kLowMask), ntasks);
    done_.fetch_add(1, std::memory_order_release);
  }
}

void ThreadPool::worker_loop(uint64_t seen) {
  for (;;) {
    // Spin for a while, checking the clock only every 64 pauses.
    const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
    bool fresh = false;
    for (unsigned spins = 1;; ++spins) {
      if (job_word_.load(std::memory_order_acquire) != seen) {
        fresh = true;
        break;
      }
      MTF_CPU_RELAX();
      if ((spins & 63) == 0 && std::chrono::steady_clock::now() > deadline) break;
    }
    if (!fresh) {
      std::unique_lock<std::mutex> lock(sleep_mutex_);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      wake_.wait(lock, [&] { return job_word_.load(std::memory_order_seq_cst) != seen; });
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
    }
    seen = job_word_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) return;
    run_claims(seen >> 16, static_cast<int>(seen & kLowMask));
  }
}

}  // namespace mtf
