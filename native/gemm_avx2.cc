// The AVX2/FMA micro-kernel: a 6 x 16 tile of C held in 12 ymm accumulators; each step of
// the shared dimension loads two vectors of B and broadcasts six elements of A (12 FMAs).
// Compiled with a target attribute rather than -mavx2 so the addon still loads on CPUs
// without AVX2; the driver selects it at run time.
#include "micro_kernel.h"
#include "pack.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#define MTF_AVX2 __attribute__((target("avx2,fma")))

namespace mtf {
namespace {

constexpr int kMR = 6;
constexpr int kNR = 16;

// C row = act(alpha·acc + beta·C + bias); the same instruction sequence for full and edge
// tiles, so an element's value never depends on where the tile boundaries fall.
MTF_AVX2 inline void write_row(__m256 lo, __m256 hi, float* c, const TileEpilogue& ep) {
  if (ep.alpha != 1.0f) {
    const __m256 alpha = _mm256_set1_ps(ep.alpha);
    lo = _mm256_mul_ps(lo, alpha);
    hi = _mm256_mul_ps(hi, alpha);
  }
  if (ep.beta == 1.0f) {
    lo = _mm256_add_ps(lo, _mm256_loadu_ps(c));
    hi = _mm256_add_ps(hi, _mm256_loadu_ps(c + 8));
  } else if (ep.beta != 0.0f) {
    const __m256 beta = _mm256_set1_ps(ep.beta);
    lo = _mm256_fmadd_ps(beta, _mm256_loadu_ps(c), lo);
    hi = _mm256_fmadd_ps(beta, _mm256_loadu_ps(c + 8), hi);
  }
  if (ep.bias != nullptr) {
    lo = _mm256_add_ps(lo, _mm256_loadu_ps(ep.bias));
    hi = _mm256_add_ps(hi, _mm256_loadu_ps(ep.bias + 8));
  }
  if (ep.relu) {
    // max(x, 0) returns 0 for NaN, like `x > 0 ? x : 0`.
    lo = _mm256_max_ps(lo, _mm256_setzero_ps());
    hi = _mm256_max_ps(hi, _mm256_setzero_ps());
  }
  _mm256_storeu_ps(c, lo);
  _mm256_storeu_ps(c + 8, hi);
}

MTF_AVX2 void kernel_6x16(long kc, const float* a, const float* b, long ldb, float* c, long ldc,
                          int mv, int nv, const TileEpilogue& ep) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();

  for (int i = 0; i < mv; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kNR - 1), _MM_HINT_T0);
  }

#pragma GCC unroll 4
  for (long p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    __m256 ai = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(ai, b0, c00);
    c01 = _mm256_fmadd_ps(ai, b1, c01);
    ai = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(ai, b0, c10);
    c11 = _mm256_fmadd_ps(ai, b1, c11);
    ai = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(ai, b0, c20);
    c21 = _mm256_fmadd_ps(ai, b1, c21);
    ai = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(ai, b0, c30);
    c31 = _mm256_fmadd_ps(ai, b1, c31);
    ai = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(ai, b0, c40);
    c41 = _mm256_fmadd_ps(ai, b1, c41);
    ai = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(ai, b0, c50);
    c51 = _mm256_fmadd_ps(ai, b1, c51);
    a += kMR;
    b += ldb;
  }

  if (mv == kMR && nv == kNR) {
    write_row(c00, c01, c + 0 * ldc, ep);
    write_row(c10, c11, c + 1 * ldc, ep);
    write_row(c20, c21, c + 2 * ldc, ep);
    write_row(c30, c31, c + 3 * ldc, ep);
    write_row(c40, c41, c + 4 * ldc, ep);
    write_row(c50, c51, c + 5 * ldc, ep);
    return;
  }

  // Edge tile: run the same epilogue on a local copy, then write back the valid part.
  alignas(32) float tile[kMR * kNR];
  if (ep.beta != 0.0f) {
    for (int i = 0; i < mv; ++i)
      for (int j = 0; j < nv; ++j) tile[i * kNR + j] = c[i * ldc + j];
  }
  alignas(32) float bias[kNR] = {};
  TileEpilogue local = ep;
  if (ep.bias != nullptr) {
    for (int j = 0; j < nv; ++j) bias[j] = ep.bias[j];
    local.bias = bias;
  }
  write_row(c00, c01, tile + 0 * kNR, local);
  write_row(c10, c11, tile + 1 * kNR, local);
  write_row(c20, c21, tile + 2 * kNR, local);
  write_row(c30, c31, tile + 3 * kNR, local);
  write_row(c40, c41, tile + 4 * kNR, local);
  write_row(c50, c51, tile + 5 * kNR, local);
  for (int i = 0; i < mv; ++i)
    for (int j = 0; j < nv; ++j) c[i * ldc + j] = tile[i * kNR + j];
}

const MicroKernel kAvx2 = {"avx2", kMR, kNR, kernel_6x16, pack_a_6_avx2, pack_b_16_avx2};

}  // namespace

const MicroKernel* avx2_micro_kernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &kAvx2;
  return nullptr;
}

}  // namespace mtf

#else  // not x86

namespace mtf {
const MicroKernel* avx2_micro_kernel() { return nullptr; }
}  // namespace mtf

#endif
