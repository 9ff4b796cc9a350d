// The AVX-512 micro-kernel: a 6 x 32 tile of C held in 12 zmm accumulators; each step of the
// shared dimension loads two vectors of B and broadcasts six elements of A (12 FMAs of 16
// lanes, twice the work per instruction of the AVX2 kernel). Every element of C goes through
// the same sequence of FMAs and the same epilogue as in the AVX2 kernel, so the two give
// bit-identical results. Compiled with a target attribute rather than -mavx512f so the addon
// still loads on CPUs without AVX-512; the driver selects it at run time.
#include "micro_kernel.h"
#include "pack.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#define MTF_AVX512 __attribute__((target("avx512f,avx2,fma")))

namespace mtf {
namespace {

constexpr int kMR = 6;
constexpr int kNR = 32;

// C row = act(alpha·acc + beta·C + bias), as write_row of the AVX2 kernel.
MTF_AVX512 inline void write_row(__m512 lo, __m512 hi, float* c, const TileEpilogue& ep) {
  if (ep.alpha != 1.0f) {
    const __m512 alpha = _mm512_set1_ps(ep.alpha);
    lo = _mm512_mul_ps(lo, alpha);
    hi = _mm512_mul_ps(hi, alpha);
  }
  if (ep.beta == 1.0f) {
    lo = _mm512_add_ps(lo, _mm512_loadu_ps(c));
    hi = _mm512_add_ps(hi, _mm512_loadu_ps(c + 16));
  } else if (ep.beta != 0.0f) {
    const __m512 beta = _mm512_set1_ps(ep.beta);
    lo = _mm512_fmadd_ps(beta, _mm512_loadu_ps(c), lo);
    hi = _mm512_fmadd_ps(beta, _mm512_loadu_ps(c + 16), hi);
  }
  if (ep.bias != nullptr) {
    lo = _mm512_add_ps(lo, _mm512_loadu_ps(ep.bias));
    hi = _mm512_add_ps(hi, _mm512_loadu_ps(ep.bias + 16));
  }
  if (ep.relu) {
    // max(x, 0) returns 0 for NaN (second operand on unordered), like the AVX2 kernel. The
    // zero-masked form with a full mask is the same vmaxps, and spares GCC 12's false
    // "maybe uninitialized" warning on _mm512_max_ps.
    const __m512 zero = _mm512_setzero_ps();
    lo = _mm512_maskz_max_ps(static_cast<__mmask16>(0xFFFF), lo, zero);
    hi = _mm512_maskz_max_ps(static_cast<__mmask16>(0xFFFF), hi, zero);
  }
  _mm512_storeu_ps(c, lo);
  _mm512_storeu_ps(c + 16, hi);
}

MTF_AVX512 void kernel_6x32(long kc, const float* a, const float* b, long ldb, float* c,
                            long ldc, int mv, int nv, const TileEpilogue& ep) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps();
  __m512 c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
  __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps();
  __m512 c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();

  for (int i = 0; i < mv; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kNR - 1), _MM_HINT_T0);
  }

#pragma GCC unroll 4
  for (long p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
    __m512 ai = _mm512_set1_ps(a[0]);
    c00 = _mm512_fmadd_ps(ai, b0, c00);
    c01 = _mm512_fmadd_ps(ai, b1, c01);
    ai = _mm512_set1_ps(a[1]);
    c10 = _mm512_fmadd_ps(ai, b0, c10);
    c11 = _mm512_fmadd_ps(ai, b1, c11);
    ai = _mm512_set1_ps(a[2]);
    c20 = _mm512_fmadd_ps(ai, b0, c20);
    c21 = _mm512_fmadd_ps(ai, b1, c21);
    ai = _mm512_set1_ps(a[3]);
    c30 = _mm512_fmadd_ps(ai, b0, c30);
    c31 = _mm512_fmadd_ps(ai, b1, c31);
    ai = _mm512_set1_ps(a[4]);
    c40 = _mm512_fmadd_ps(ai, b0, c40);
    c41 = _mm512_fmadd_ps(ai, b1, c41);
    ai = _mm512_set1_ps(a[5]);
    c50 = _mm512_fmadd_ps(ai, b0, c50);
    c51 = _mm512_fmadd_ps(ai, b1, c51);
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
  alignas(64) float tile[kMR * kNR];
  if (ep.beta != 0.0f) {
    for (int i = 0; i < mv; ++i)
      for (int j = 0; j < nv; ++j) tile[i * kNR + j] = c[i * ldc + j];
  }
  alignas(64) float bias[kNR] = {};
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

const MicroKernel kAvx512 = {"avx512", kMR, kNR, kernel_6x32, pack_a_6_avx2, pack_b_32_avx2};

}  // namespace

const MicroKernel* avx512_micro_kernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma"))
    return &kAvx512;
  return nullptr;
}

}  // namespace mtf

#else  // not x86

namespace mtf {
const MicroKernel* avx512_micro_kernel() { return nullptr; }
}  // namespace mtf

#endif
