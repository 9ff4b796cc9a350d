// The register-blocked GEMM micro-kernels the blocked driver (gemm.cc) is built on, one set
// per instruction set. A micro-kernel computes one MR x NR tile of C from a packed panel of A
// and a panel of B over kc steps of the shared dimension, then applies the epilogue.
#pragma once

namespace mtf {

// What to do with the accumulated tile T = A_panel · B_panel before it lands in C:
// C = act(alpha·T + beta·C + bias). beta == 0 never reads C.
struct TileEpilogue {
  float alpha;
  float beta;
  const float* bias;  // NR entries for this tile's columns, or null
  bool relu;
};

// a: packed A panel, a[p * MR + i] = A(i, p) for p in [0, kc), i in [0, MR) (zero padded).
// b: B panel rows, b[p * ldb + j] = B(p, j) for j in [0, NR); ldb = NR when packed, or the
//    row stride of a row-major B read in place (then all NR columns must be readable).
// c: the tile's top-left element, row stride ldc; only the leading mv x nv part is written.
using MicroKernelFn = void (*)(long kc, const float* a, const float* b, long ldb, float* c,
                               long ldc, int mv, int nv, const TileEpilogue& ep);

// Packs a block of op(X) into the panels the micro-kernel reads (see pack.h). A packer may
// write up to kPackSlack floats past the end of the packed block.
using PackFn = void (*)(bool trans, const float* x, long ldx, long r0, long rows, long c0,
                        long cols, float* out);
constexpr long kPackSlack = 16;

struct MicroKernel {
  const char* name;  // "avx512", "avx2" or "generic"
  int mr;
  int nr;
  MicroKernelFn fn;
  PackFn pack_a;  // MR-row panels of op(A)
  PackFn pack_b;  // NR-column panels of op(B)
};

// Null when the CPU (or the build target) lacks AVX2 + FMA (AVX-512F as well for avx512).
const MicroKernel* avx2_micro_kernel();
const MicroKernel* avx512_micro_kernel();
const MicroKernel& generic_micro_kernel();

}  // namespace mtf
