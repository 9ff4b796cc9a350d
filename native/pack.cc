#include "pack.h"

#include <cstring>

namespace mtf {
namespace {

template <int MR>
void pack_a_panels(bool ta, const float* a, long lda, long i0, long mc, long p0, long kc,
                   float* out) {
  for (long ir = 0; ir < mc; ir += MR) {
    const int mv = mc - ir < MR ? static_cast<int>(mc - ir) : MR;
    float* dst = out + ir * kc;  // this panel: [kc x MR]
    if (ta) {
      const float* src = a + p0 * lda + i0 + ir;  // op(A)(i, p) = src[p * lda + i]
      if (mv == MR) {
        for (long p = 0; p < kc; ++p)
          for (int i = 0; i < MR; ++i) dst[p * MR + i] = src[p * lda + i];
      } else {
        for (long p = 0; p < kc; ++p)
          for (int i = 0; i < MR; ++i) dst[p * MR + i] = i < mv ? src[p * lda + i] : 0.0f;
      }
    } else {
      const float* src = a + (i0 + ir) * lda + p0;  // op(A)(i, p) = src[i * lda + p]
      if (mv == MR) {
        for (long p = 0; p < kc; ++p)
          for (int i = 0; i < MR; ++i) dst[p * MR + i] = src[i * lda + p];
      } else {
        for (long p = 0; p < kc; ++p)
          for (int i = 0; i < MR; ++i) dst[p * MR + i] = i < mv ? src[i * lda + p] : 0.0f;
      }
    }
  }
}

template <int NR>
void pack_b_panels(bool tb, const float* b, long ldb, long p0, long kc, long j0, long nc,
                   float* out) {
  for (long jr = 0; jr < nc; jr += NR) {
    const int nv = nc - jr < NR ? static_cast<int>(nc - jr) : NR;
    float* dst = out + jr * kc;  // this panel: [kc x NR]
    if (tb) {
      const float* src = b + (j0 + jr) * ldb + p0;  // op(B)(p, j) = src[j * ldb + p]
      if (nv == NR) {
        for (long p = 0; p < kc; ++p)
          for (int j = 0; j < NR; ++j) dst[p * NR + j] = src[j * ldb + p];
      } else {
        for (long p = 0; p < kc; ++p)
          for (int j = 0; j < NR; ++j) dst[p * NR + j] = j < nv ? src[j * ldb + p] : 0.0f;
      }
    } else {
      const float* src = b + p0 * ldb + j0 + jr;  // op(B)(p, j) = src[p * ldb + j]
      if (nv == NR) {
        for (long p = 0; p < kc; ++p) std::memcpy(dst + p * NR, src + p * ldb, sizeof(float) * NR);
      } else {
        for (long p = 0; p < kc; ++p)
          for (int j = 0; j < NR; ++j) dst[p * NR + j] = j < nv ? src[p * ldb + j] : 0.0f;
      }
    }
  }
}

}  // namespace

void pack_a_4(bool ta, const float* a, long lda, long i0, long mc, long p0, long kc, float* out) {
  pack_a_panels<4>(ta, a, lda, i0, mc, p0, kc, out);
}

void pack_a_6(bool ta, const float* a, long lda, long i0, long mc, long p0, long kc, float* out) {
  pack_a_panels<6>(ta, a, lda, i0, mc, p0, kc, out);
}

void pack_b_8(bool tb, const float* b, long ldb, long p0, long kc, long j0, long nc, float* out) {
  pack_b_panels<8>(tb, b, ldb, p0, kc, j0, nc, out);
}

void pack_b_16(bool tb, const float* b, long ldb, long p0, long kc, long j0, long nc, float* out) {
  pack_b_panels<16>(tb, b, ldb, p0, kc, j0, nc, out);
}

void pack_b_32(bool tb, const float* b, long ldb, long p0, long kc, long j0, long nc, float* out) {
  pack_b_panels<32>(tb, b, ldb, p0, kc, j0, nc, out);
}

}  // namespace mtf
