// AVX2 packing for the 6 x 16 (AVX2) and 6 x 32 (AVX-512) micro-kernels. The two layouts that need a transpose (op(A)
// read from row-major A, op(B) read from a transposed B) go through 8 x 8 register
// transposes; the others are vector copies. Partial panels use the portable code.
#include "pack.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#define MTF_AVX2 __attribute__((target("avx2,fma")))

namespace mtf {
namespace {

// r[q] <- column q of the 8 x 8 matrix whose rows are r[0..7].
MTF_AVX2 inline void transpose8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]);
  const __m256 t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]);
  const __m256 t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]);
  const __m256 t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]);
  const __m256 t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// One full 6-row panel from row-major A: dst[p * 6 + i] = src[i * lda + p], p < kc.
MTF_AVX2 void pack_rows_6(const float* src, long lda, long kc, float* dst) {
  long p = 0;
  for (; p + 8 <= kc; p += 8) {
    __m256 r[8];
    for (int i = 0; i < 6; ++i) r[i] = _mm256_loadu_ps(src + i * lda + p);
    r[6] = r[7] = _mm256_setzero_ps();
    transpose8x8(r);
    // Each store writes 8 floats for 6; the 2 extra land where the next store (or the
    // tail, the next panel, or the buffer slack) writes later.
    for (int q = 0; q < 8; ++q) _mm256_storeu_ps(dst + (p + q) * 6, r[q]);
  }
  for (; p < kc; ++p)
    for (int i = 0; i < 6; ++i) dst[p * 6 + i] = src[i * lda + p];
}

// One full 6-row panel from transposed A: dst[p * 6 + i] = src[p * lda + i], p < kc.
MTF_AVX2 void copy_rows_6(const float* src, long lda, long kc, float* dst) {
  for (long p = 0; p < kc; ++p) {
    _mm_storeu_ps(dst + p * 6, _mm_loadu_ps(src + p * lda));
    const __m128 tail =
        _mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(src + p * lda + 4));
    _mm_storel_pi(reinterpret_cast<__m64*>(dst + p * 6 + 4), tail);
  }
}

// One full W-column panel from transposed B: dst[p * W + j] = src[j * ldb + p], p < kc.
template <int W>
MTF_AVX2 void pack_cols(const float* src, long ldb, long kc, float* dst) {
  long p = 0;
  for (; p + 8 <= kc; p += 8) {
    for (int g = 0; g < W / 8; ++g) {
      __m256 r[8];
      for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(src + (g * 8 + j) * ldb + p);
      transpose8x8(r);
      for (int q = 0; q < 8; ++q) _mm256_storeu_ps(dst + (p + q) * W + g * 8, r[q]);
    }
  }
  for (; p < kc; ++p)
    for (int j = 0; j < W; ++j) dst[p * W + j] = src[j * ldb + p];
}

// `panels` full W-column panels from row-major B: dst[r * kc * W + p * W + j] =
// src[p * ldb + r * W + j]. Row by row of the source, so each source line is read once
// (panel by panel, a line straddling two panels would be fetched twice from L3).
template <int W>
MTF_AVX2 void copy_cols(const float* src, long ldb, long kc, long panels, float* dst) {
  for (long p = 0; p < kc; ++p) {
    const float* row = src + p * ldb;
    float* out = dst + p * W;
    for (long r = 0; r < panels; ++r)
      for (int g = 0; g < W / 8; ++g)
        _mm256_storeu_ps(out + r * kc * W + g * 8, _mm256_loadu_ps(row + r * W + g * 8));
  }
}

// W-column panels of op(B): full panels with the vector code, a partial one with `portable`.
template <int W>
MTF_AVX2 void pack_b_panels(bool tb, const float* b, long ldb, long p0, long kc, long j0,
                            long nc, float* out,
                            void (*portable)(bool, const float*, long, long, long, long, long,
                                             float*)) {
  const long full = nc / W * W;
  if (tb) {
    for (long jr = 0; jr < full; jr += W) pack_cols<W>(b + (j0 + jr) * ldb + p0, ldb, kc, out + jr * kc);
  } else {
    copy_cols<W>(b + p0 * ldb + j0, ldb, kc, full / W, out);
  }
  if (full < nc) portable(tb, b, ldb, p0, kc, j0 + full, nc - full, out + full * kc);
}

}  // namespace

void pack_a_6_avx2(bool ta, const float* a, long lda, long i0, long mc, long p0, long kc,
                   float* out) {
  const long full = mc / 6 * 6;
  for (long ir = 0; ir < full; ir += 6) {
    if (ta) {
      copy_rows_6(a + p0 * lda + i0 + ir, lda, kc, out + ir * kc);
    } else {
      pack_rows_6(a + (i0 + ir) * lda + p0, lda, kc, out + ir * kc);
    }
  }
  if (full < mc) pack_a_6(ta, a, lda, i0 + full, mc - full, p0, kc, out + full * kc);
}

void pack_b_16_avx2(bool tb, const float* b, long ldb, long p0, long kc, long j0, long nc,
                    float* out) {
  pack_b_panels<16>(tb, b, ldb, p0, kc, j0, nc, out, pack_b_16);
}

void pack_b_32_avx2(bool tb, const float* b, long ldb, long p0, long kc, long j0, long nc,
                    float* out) {
  pack_b_panels<32>(tb, b, ldb, p0, kc, j0, nc, out, pack_b_32);
}

}  // namespace mtf

#endif
