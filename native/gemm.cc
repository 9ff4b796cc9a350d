#include "gemm.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#ifdef _MSC_VER
#include <malloc.h>
#endif

#include "thread_pool.h"

namespace mtf {
namespace {

// Blocking for a 32 KiB L1d / 512 KiB L2 core (Zen 3): a KC x NR panel of B (<= 24 KiB)
// stays in L1 across the row tiles, an MC x KC block of A (<= 216 KiB) in L2, and a KC x NC
// block of B in L3. The blocks actually used are split evenly from these maxima. (KC = 256
// measured the same within noise.)
constexpr long kKcMax = 384;
constexpr long kMc = 144;   // a multiple of every MR
constexpr long kNc = 3072;  // a multiple of every NR
// With this few rows a panel of B is used by so few tiles that packing it costs more than
// reading it in place (measured on Zen 3: in place wins up to ~100 rows).
constexpr long kUnpackedBMaxRows = 96;
// Below this many multiply-adds (~60 us on one core) a second thread costs more than it
// saves, and small inference calls stay on the caller's thread.
constexpr double kMinThreadedWork = 1 << 21;
// The cost of packing one element, in multiply-adds, when choosing how to split work.
constexpr double kPackCost = 4;

// Per-thread packing buffers, allocated once and grown when a larger problem comes along.
struct Workspace {
  float* a = nullptr;
  long a_cap = 0;
  float* b = nullptr;
  long b_cap = 0;

  ~Workspace() {
    release(a);
    release(b);
  }

  static float* ensure(float*& buf, long& cap, long floats) {
    if (floats > cap) {
      release(buf);
      const size_t bytes = ((floats + kPackSlack) * sizeof(float) + 63) / 64 * 64;
#ifdef _MSC_VER
      buf = static_cast<float*>(_aligned_malloc(bytes, 64));
#else
      buf = static_cast<float*>(std::aligned_alloc(64, bytes));
#endif
      cap = buf == nullptr ? 0 : floats;
    }
    return buf;
  }

  static void release(float* buf) {
#ifdef _MSC_VER
    _aligned_free(buf);
#else
    std::free(buf);
#endif
  }
};

thread_local Workspace tls_workspace;

struct Problem {
  const MicroKernel* uk;
  bool ta, tb;
  long m, n, k;
  float alpha;
  const float* a;
  long lda;
  const float* b;
  long ldb;
  float beta;
  float* c;
  long ldc;
  GemmEpilogue ep;
};

inline long min_l(long x, long y) { return x < y ? x : y; }
inline long ceil_div(long x, long y) { return (x + y - 1) / y; }

// Computes the block C[m0:m1, n0:n1] on the calling thread. Returns false when a packing
// buffer could not be allocated.
bool gemm_block(const Problem& g, long m0, long m1, long n0, long n1) {
  const MicroKernel& uk = *g.uk;
  const long mr = uk.mr, nr = uk.nr;
  Workspace& ws = tls_workspace;
  const bool pack_whole_b = g.tb || m1 - m0 > kUnpackedBMaxRows;
  // k alone fixes the blocking of the shared dimension, hence each element's summation order.
  const long kc_max = ceil_div(g.k, ceil_div(g.k, kKcMax));
  // Row blocks of near-equal size (no thin last block that would reload B for a few rows).
  const long mc_max = ceil_div(ceil_div(m1 - m0, ceil_div(m1 - m0, kMc)), mr) * mr;

  float* a_buf = Workspace::ensure(ws.a, ws.a_cap, mc_max * kc_max);
  float* b_buf = Workspace::ensure(ws.b, ws.b_cap, (pack_whole_b ? kNc : nr) * kc_max);
  if (a_buf == nullptr || b_buf == nullptr) return false;

  for (long jc = n0; jc < n1; jc += kNc) {
    const long nc = min_l(kNc, n1 - jc);
    for (long pc = 0; pc < g.k; pc += kc_max) {
      const long kc = min_l(kc_max, g.k - pc);
      const bool last = pc + kc == g.k;
      TileEpilogue ep{g.alpha, pc == 0 ? g.beta : 1.0f, nullptr, last && g.ep.relu};
      if (pack_whole_b) uk.pack_b(g.tb, g.b, g.ldb, pc, kc, jc, nc, b_buf);

      for (long ic = m0; ic < m1; ic += mc_max) {
        const long mc = min_l(mc_max, m1 - ic);
        uk.pack_a(g.ta, g.a, g.lda, ic, mc, pc, kc, a_buf);

        for (long jr = 0; jr < nc; jr += nr) {
          const long nv = min_l(nr, nc - jr);
          const float* panel = b_buf + jr * kc;  // [kc x nr]
          long panel_ld = nr;
          if (!pack_whole_b) {
            if (nv == nr) {
              panel = g.b + pc * g.ldb + jc + jr;  // in place: rows [pc, pc+kc), row stride ldb
              panel_ld = g.ldb;
            } else {
              uk.pack_b(false, g.b, g.ldb, pc, kc, jc + jr, nv, b_buf);
              panel = b_buf;
            }
          }
          ep.bias = last && g.ep.bias != nullptr ? g.ep.bias + jc + jr : nullptr;
          float* c_panel = g.c + ic * g.ldc + jc + jr;
          for (long ir = 0; ir < mc; ir += mr) {
            uk.fn(kc, a_buf + ir * kc, panel, panel_ld, c_panel + ir * g.ldc, g.ldc,
                  static_cast<int>(min_l(mr, mc - ir)), static_cast<int>(nv), ep);
          }
        }
      }
    }
  }
  return true;
}

inline void apply_epilogue(float* c, const GemmEpilogue& ep, long j) {
  if (ep.bias != nullptr) *c += ep.bias[j];
  if (ep.relu) *c = *c > 0.0f ? *c : 0.0f;
}

// C = act(beta·C + bias) when the product vanishes (k == 0 or alpha == 0).
void scale_only(const Problem& g) {
  for (long i = 0; i < g.m; ++i) {
    float* row = g.c + i * g.ldc;
    for (long j = 0; j < g.n; ++j) {
      row[j] = g.beta == 0.0f ? 0.0f : g.beta * row[j];
      apply_epilogue(row + j, g.ep, j);
    }
  }
}

// A single-column or single-row product runs as a matrix-vector kernel: the micro-kernel
// would waste all but one row or column of its tile. Returns false if neither applies.
bool matrix_vector(const VectorKernels& vk, const Problem& g) {
  if (g.n == 1 && (!g.ta || g.ldc == 1)) {
    const long incx = g.tb ? 1 : g.ldb;  // op(B)(p, 0)
    if (g.ta) {
      vk.gemv_axpy(g.m, g.k, g.alpha, g.a, g.lda, g.b, incx, g.beta, g.c);
    } else {
      vk.gemv_dot(g.m, g.k, g.alpha, g.a, g.lda, g.b, incx, g.beta, g.c, g.ldc);
    }
    for (long i = 0; i < g.m; ++i) apply_epilogue(g.c + i * g.ldc, g.ep, 0);
    return true;
  }
  if (g.m == 1) {
    const long incx = g.ta ? g.lda : 1;  // op(A)(0, p)
    if (g.tb) {
      vk.gemv_dot(g.n, g.k, g.alpha, g.b, g.ldb, g.a, incx, g.beta, g.c, 1);
    } else {
      vk.gemv_axpy(g.n, g.k, g.alpha, g.b, g.ldb, g.a, incx, g.beta, g.c);
    }
    for (long j = 0; j < g.n; ++j) apply_epilogue(g.c + j, g.ep, j);
    return true;
  }
  return false;
}

}  // namespace

bool sgemm(const Isa& isa, bool ta, bool tb, long m, long n, long k, float alpha,
           const float* a, long lda, const float* b, long ldb, float beta, float* c, long ldc,
           const GemmEpilogue& ep, int max_threads) {
  if (m <= 0 || n <= 0) return true;
  const MicroKernel& uk = *isa.gemm;
  const Problem g{&uk, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep};
  if (k <= 0 || alpha == 0.0f) {
    scale_only(g);
    return true;
  }
  if (matrix_vector(*isa.vector, g)) return true;

  const long tiles_m = ceil_div(m, uk.mr), tiles_n = ceil_div(n, uk.nr);
  long nt = max_threads;
  if (static_cast<double>(m) * n * k < kMinThreadedWork) nt = 1;
  nt = min_l(nt, tiles_m > tiles_n ? tiles_m : tiles_n);
  if (nt <= 1) return gemm_block(g, 0, m, 0, n);

  // Split C into nt disjoint blocks along one dimension. Splitting n repacks all of A on
  // every thread; splitting m repacks all of B.
  const double dk = static_cast<double>(k);
  const double cols_per = static_cast<double>(ceil_div(tiles_n, nt) * uk.nr);
  const double rows_per = static_cast<double>(ceil_div(tiles_m, nt) * uk.mr);
  const double cost_split_n = cols_per * m * dk + kPackCost * dk * (m + cols_per);
  const double cost_split_m = rows_per * n * dk + kPackCost * dk * (rows_per + n);
  const bool split_n = tiles_n >= nt && (cost_split_n <= cost_split_m || tiles_m < nt);

  std::atomic<bool> ok{true};
  auto task = [&](int tid, int nthreads) {
    long b0, b1;
    bool done;
    if (split_n) {
      split_range(n, uk.nr, nthreads, tid, &b0, &b1);
      done = b0 >= b1 || gemm_block(g, 0, m, b0, b1);
    } else {
      split_range(m, uk.mr, nthreads, tid, &b0, &b1);
      done = b0 >= b1 || gemm_block(g, b0, b1, 0, n);
    }
    if (!done) ok.store(false, std::memory_order_relaxed);
  };
  parallel_run(static_cast<int>(nt), task);
  return ok.load();
}

}  // namespace mtf
