// The vector kernels as plain loops for the compiler to vectorise. Included by
// vector_kernels_generic.cc and (under an AVX2 target pragma) by vector_kernels_avx2.cc; the
// functions have internal linkage so the two compiled copies never merge. The addon is built
// with -ffp-contract=off, so vectorised bodies and scalar tails round identically.
// Include <cmath>, <cstring> and vector_kernels.h before this file.

namespace {

// Dot products of kRows rows with x: lane p % 16 accumulates term p, then the lanes are
// summed by halving. The order is the same whether a row is done alone or in a group.
template <int kRows>
inline void dot_rows(const float* a, long lda, const float* x, long incx, long k, float* out) {
  constexpr long kLanes = 16;
  float lanes[kRows][kLanes] = {};
  long p = 0;
#if defined(__GNUC__)
  // GCC/Clang vector extensions: 8 floats per operation on any target.
  typedef float v8 __attribute__((vector_size(32)));
  if (incx == 1 && k >= kLanes) {
    v8 acc[kRows][2] = {};
    for (; p + kLanes <= k; p += kLanes) {
      v8 x0, x1;
      std::memcpy(&x0, x + p, sizeof x0);
      std::memcpy(&x1, x + p + 8, sizeof x1);
      for (int r = 0; r < kRows; ++r) {
        v8 a0, a1;
        std::memcpy(&a0, a + r * lda + p, sizeof a0);
        std::memcpy(&a1, a + r * lda + p + 8, sizeof a1);
        acc[r][0] += a0 * x0;
        acc[r][1] += a1 * x1;
      }
    }
    std::memcpy(lanes, acc, sizeof lanes);
  }
#endif
  for (long j = p % kLanes; p < k; ++p, j = (j + 1) % kLanes)
    for (int r = 0; r < kRows; ++r) lanes[r][j] += a[r * lda + p] * x[p * incx];
  for (int r = 0; r < kRows; ++r) {
    for (long w = kLanes / 2; w > 0; w /= 2)
      for (long j = 0; j < w; ++j) lanes[r][j] += lanes[r][j + w];
    out[r] = lanes[r][0];
  }
}

void gemv_dot(long m, long k, float alpha, const float* a, long lda, const float* x, long incx,
              float beta, float* y, long incy) {
  constexpr int kGroup = 4;  // rows sharing each load of x
  float dots[kGroup];
  for (long i = 0; i < m; i += kGroup) {
    const long rows = m - i < kGroup ? m - i : kGroup;
    if (rows == kGroup) {
      dot_rows<kGroup>(a + i * lda, lda, x, incx, k, dots);
    } else {
      for (long r = 0; r < rows; ++r) dot_rows<1>(a + (i + r) * lda, lda, x, incx, k, dots + r);
    }
    for (long r = 0; r < rows; ++r) {
      const float v = alpha * dots[r];
      float* out = y + (i + r) * incy;
      *out = beta == 0.0f ? v : v + beta * *out;
    }
  }
}

void gemv_axpy(long n, long k, float alpha, const float* a, long lda, const float* x, long incx,
               float beta, float* y) {
  constexpr long kBlock = 256;  // outputs accumulated at once in L1
  for (long j0 = 0; j0 < n; j0 += kBlock) {
    const long nb = n - j0 < kBlock ? n - j0 : kBlock;
    float acc[kBlock] = {};
    for (long p = 0; p < k; ++p) {
      const float xp = x[p * incx];
      const float* row = a + p * lda + j0;
      for (long j = 0; j < nb; ++j) acc[j] += xp * row[j];
    }
    float* out = y + j0;
    if (beta == 0.0f) {
      for (long j = 0; j < nb; ++j) out[j] = alpha * acc[j];
    } else {
      for (long j = 0; j < nb; ++j) out[j] = alpha * acc[j] + beta * out[j];
    }
  }
}

void relu_backward(const float* y, float* dy, long n) {
  for (long i = 0; i < n; ++i) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void tanh_backward(const float* y, float* dy, long n) {
  for (long i = 0; i < n; ++i) dy[i] *= 1.0f - y[i] * y[i];
}

void tanh_inplace(float* y, long n) {
  for (long i = 0; i < n; ++i) y[i] = std::tanh(y[i]);
}

void column_sums(const float* dy, long rows, long cols, long ld, float* db, bool accumulate) {
  constexpr long kBlock = 64;  // columns summed at once in registers/L1
  for (long j0 = 0; j0 < cols; j0 += kBlock) {
    const long nb = cols - j0 < kBlock ? cols - j0 : kBlock;
    float acc[kBlock] = {};
    for (long r = 0; r < rows; ++r) {
      const float* row = dy + r * ld + j0;
      for (long j = 0; j < nb; ++j) acc[j] += row[j];
    }
    if (accumulate) {
      for (long j = 0; j < nb; ++j) db[j0 + j] += acc[j];
    } else {
      for (long j = 0; j < nb; ++j) db[j0 + j] = acc[j];
    }
  }
}

// As torch.optim.Adam: p -= lr_t · m / (sqrt(v) / sqrt(1 - beta2^t) + eps), with the
// division by the constant done as a multiplication.
void adam(float* p, const float* g, float* m, float* v, long n, const mtf::AdamStep& s) {
  for (long i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = s.beta1 * m[i] + s.one_minus_beta1 * gi;
    const float vi = s.beta2 * v[i] + s.one_minus_beta2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] -= s.lr_t * mi / (std::sqrt(vi) * s.inv_sqrt_bc2 + s.eps);
  }
}

void soft_update(float* t, const float* s, long n, float eta) {
  const float keep = 1.0f - eta;
  for (long i = 0; i < n; ++i) t[i] = keep * t[i] + eta * s[i];
}

constexpr mtf::VectorKernels kTable = {gemv_dot,     gemv_axpy,   relu_backward, tanh_backward,
                                       tanh_inplace, column_sums, adam,          soft_update};

}  // namespace
