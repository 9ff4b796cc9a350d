// Portable packing of GEMM operands into the panel layouts the micro-kernels stream through,
// with zero padding of partial panels. The transposed layouts are handled here, so the driver
// and micro-kernels only ever see one layout. (pack_avx2.cc has AVX2 versions, used by the AVX2 and AVX-512 micro-kernels.)
#pragma once

namespace mtf {

// pack_a_<MR>: rows [i0, i0 + mc) and columns [p0, p0 + kc) of op(A) into MR-row panels:
// out[(ir / MR) * kc * MR + p * MR + i] = op(A)(i0 + ir + i, p0 + p), zero for rows >= mc.
// op(A)(i, p) = a[i * lda + p], or a[p * lda + i] when ta.
void pack_a_4(bool ta, const float* a, long lda, long i0, long mc, long p0, long kc, float* out);
void pack_a_6(bool ta, const float* a, long lda, long i0, long mc, long p0, long kc, float* out);

// pack_b_<NR>: rows [p0, p0 + kc) and columns [j0, j0 + nc) of op(B) into NR-column panels:
// out[(jr / NR) * kc * NR + p * NR + j] = op(B)(p0 + p, j0 + jr + j), zero for cols >= nc.
// op(B)(p, j) = b[p * ldb + j], or b[j * ldb + p] when tb.
void pack_b_8(bool tb, const float* b, long ldb, long p0, long kc, long j0, long nc, float* out);
void pack_b_16(bool tb, const float* b, long ldb, long p0, long kc, long j0, long nc, float* out);
void pack_b_32(bool tb, const float* b, long ldb, long p0, long kc, long j0, long nc, float* out);

#if defined(__x86_64__) || defined(__i386__)
// The same for the AVX2 and AVX-512 micro-kernels, transposing with AVX2 (pack_avx2.cc). They may write up
// to 2 floats past the packed block (see kPackSlack in micro_kernel.h).
void pack_a_6_avx2(bool ta, const float* a, long lda, long i0, long mc, long p0, long kc,
                   float* out);
void pack_b_16_avx2(bool tb, const float* b, long ldb, long p0, long kc, long j0, long nc,
                    float* out);
void pack_b_32_avx2(bool tb, const float* b, long ldb, long p0, long kc, long j0, long nc,
                    float* out);
#endif

}  // namespace mtf
