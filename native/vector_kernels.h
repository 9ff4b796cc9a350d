// Vector kernels around the GEMMs (matrix-vector products for single-row or single-column
// GEMMs, activation derivatives, bias gradients, Adam, Polyak averaging), one table per
// instruction set. Each works on a range,
// so the caller can split long arrays across threads; every output element depends only on
// its own inputs (or, for column sums, on a fixed row order), whatever the split.
#pragma once

namespace mtf {

// Scalars of one Adam step, precomputed once per call (see adam in src/nn/kernels.ts).
struct AdamStep {
  float lr_t;          // lr / (1 - beta1^t)
  float inv_sqrt_bc2;  // 1 / sqrt(1 - beta2^t)
  float beta1, one_minus_beta1;
  float beta2, one_minus_beta2;
  float eps;
};

struct VectorKernels {
  // y[i * incy] = alpha · Σ_p a[i * lda + p] · x[p * incx] + beta · y[i * incy], i < m
  // (dot products, summed in a fixed order). beta == 0 never reads y.
  void (*gemv_dot)(long m, long k, float alpha, const float* a, long lda, const float* x,
                   long incx, float beta, float* y, long incy);
  // y[j] = alpha · Σ_p x[p * incx] · a[p * lda + j] + beta · y[j], j < n (rows of a added in
  // order p = 0, 1, ...). beta == 0 never reads y.
  void (*gemv_axpy)(long n, long k, float alpha, const float* a, long lda, const float* x,
                    long incx, float beta, float* y);
  // dy[i] = y[i] > 0 ? dy[i] : 0
  void (*relu_backward)(const float* y, float* dy, long n);
  // dy[i] *= 1 - y[i]^2
  void (*tanh_backward)(const float* y, float* dy, long n);
  // y[i] = tanh(y[i])
  void (*tanh_inplace)(float* y, long n);
  // db[j] (+)= sum over r of dy[r * ld + j], rows summed in order r = 0, 1, ...
  void (*column_sums)(const float* dy, long rows, long cols, long ld, float* db, bool accumulate);
  void (*adam)(float* p, const float* g, float* m, float* v, long n, const AdamStep& s);
  // t[i] = (1 - eta)·t[i] + eta·s[i]
  void (*soft_update)(float* t, const float* s, long n, float eta);
};

// Null when the CPU (or the build target) lacks AVX2 + FMA.
const VectorKernels* avx2_vector_kernels();
const VectorKernels& generic_vector_kernels();

}  // namespace mtf
