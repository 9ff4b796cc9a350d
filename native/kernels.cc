#include "kernels.h"

#include <cmath>

#include "gemm.h"
#include "isa.h"
#include "thread_pool.h"

namespace mtf {
namespace {

// Element-wise work is split into chunks of this many floats (a multiple of every vector
// width, so chunk edges never change how an element is computed) once it is long enough to
// be worth a second thread.
constexpr long kChunkAlign = 64;
constexpr long kMinThreadedElements = 1 << 15;

// Runs fn(begin, end) over [0, n), split across the pool when n is large.
template <typename Fn>
void for_ranges(long n, Fn fn) {
  const int nt = n >= kMinThreadedElements ? threads() : 1;
  auto task = [&](int tid, int nthreads) {
    long begin, end;
    split_range(n, kChunkAlign, nthreads, tid, &begin, &end);
    if (begin < end) fn(begin, end);
  };
  parallel_run(nt, task);
}

}  // namespace

const char* isa_name() { return active_isa().name; }

void set_threads(int n) { ThreadPool::instance().set_threads(n); }

int threads() { return ThreadPool::instance().threads(); }

bool gemm(bool ta, bool tb, long m, long n, long k, float alpha, const float* a, const float* b,
          float beta, float* c) {
  return sgemm(active_isa(), ta, tb, m, n, k, alpha, a, ta ? m : k, b, tb ? k : n, beta, c, n,
               GemmEpilogue{}, threads());
}

bool linear_forward(const float* x, const float* w, const float* bias, float* y, long rows,
                    long in_dim, long out_dim, Activation act) {
  // [rows x in] · [in x out] + bias[out] -> [rows x out]
  const GemmEpilogue ep{bias, act == Activation::kRelu};
  if (!sgemm(active_isa(), false, false, rows, out_dim, in_dim, 1.0f, x, in_dim, w, out_dim,
             0.0f, y, out_dim, ep, threads())) {
    return false;
  }
  if (act == Activation::kTanh) {
    const VectorKernels& vk = *active_isa().vector;
    for_ranges(rows * out_dim, [&](long b, long e) { vk.tanh_inplace(y + b, e - b); });
  }
  return true;
}

bool linear_backward(const float* x, const float* w, const float* dy, float* dx, float* dw,
                     float* db, long rows, long in_dim, long out_dim, bool accumulate) {
  const Isa& isa = active_isa();
  const int nt = threads();
  // dW[in x out] (+)= X^T · dY: X is [rows x in], so op(A) = X^T with k = rows.
  if (!sgemm(isa, true, false, in_dim, out_dim, rows, 1.0f, x, in_dim, dy, out_dim,
             accumulate ? 1.0f : 0.0f, dw, out_dim, GemmEpilogue{}, nt)) {
    return false;
  }
  // dB[out] (+)= column sums of dY[rows x out]; columns split across threads, rows in order.
  const VectorKernels& vk = *isa.vector;
  const int sum_threads = rows * out_dim >= kMinThreadedElements ? nt : 1;
  auto sums = [&](int tid, int nthreads) {
    long j0, j1;
    split_range(out_dim, kChunkAlign, nthreads, tid, &j0, &j1);
    if (j0 < j1) vk.column_sums(dy + j0, rows, j1 - j0, out_dim, db + j0, accumulate);
  };
  parallel_run(sum_threads, sums);
  // dX[rows x in] = dY · W^T: W is [in x out], so op(B) = W^T with k = out.
  if (dx != nullptr &&
      !sgemm(isa, false, true, rows, in_dim, out_dim, 1.0f, dy, out_dim, w, out_dim, 0.0f, dx,
             in_dim, GemmEpilogue{}, nt)) {
    return false;
  }
  return true;
}

void activation_backward(const float* y, float* dy, long n, Activation act) {
  const VectorKernels& vk = *active_isa().vector;
  if (act == Activation::kRelu) {
    for_ranges(n, [&](long b, long e) { vk.relu_backward(y + b, dy + b, e - b); });
  } else if (act == Activation::kTanh) {
    for_ranges(n, [&](long b, long e) { vk.tanh_backward(y + b, dy + b, e - b); });
  }
}

void adam(float* params, const float* grads, float* m, float* v, long n, double lr, double beta1,
          double beta2, double eps, double step) {
  const AdamStep s{static_cast<float>(lr / (1.0 - std::pow(beta1, step))),
                   static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(beta2, step))),
                   static_cast<float>(beta1),
                   static_cast<float>(1.0 - beta1),
                   static_cast<float>(beta2),
                   static_cast<float>(1.0 - beta2),
                   static_cast<float>(eps)};
  const VectorKernels& vk = *active_isa().vector;
  for_ranges(n, [&](long b, long e) { vk.adam(params + b, grads + b, m + b, v + b, e - b, s); });
}

void soft_update(float* target, const float* source, long n, double eta) {
  const VectorKernels& vk = *active_isa().vector;
  const float e32 = static_cast<float>(eta);
  for_ranges(n, [&](long b, long e) { vk.soft_update(target + b, source + b, e - b, e32); });
}

}  // namespace mtf
