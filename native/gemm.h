// Cache-blocked single-precision GEMM (GotoBLAS/BLIS loop structure) over a micro-kernel.
#pragma once

#include "isa.h"

namespace mtf {

// Applied once per element after the product: C = act(alpha·op(A)·op(B) + beta·C + bias).
struct GemmEpilogue {
  const float* bias = nullptr;  // n entries, added to every row, or null
  bool relu = false;
};

// C[m x n] = alpha·op(A)·op(B) + beta·C (then the epilogue), all row-major, with the
// instruction set's micro-kernel (or its matrix-vector kernels when m or n is 1).
// op(A) is [m x k]: A is stored [m x k] with row stride lda, or [k x m] when ta.
// op(B) is [k x n]: B is stored [k x n] with row stride ldb, or [n x k] when tb.
// beta == 0 never reads C. Every element of C is computed by one thread with a reduction
// order fixed by k alone, so the result is bit-identical for any thread count.
// Returns false (C partly written) if a packing buffer could not be allocated.
bool sgemm(const Isa& isa, bool ta, bool tb, long m, long n, long k, float alpha,
           const float* a, long lda, const float* b, long ldb, float beta, float* c, long ldc,
           const GemmEpilogue& ep, int max_threads);

}  // namespace mtf
