// Which instruction set the kernels run on, chosen once at load time: the AVX-512 GEMM (with
// the AVX2 vector kernels) when the CPU has AVX-512F, else AVX2 + FMA, otherwise the portable
// code. MTF_NATIVE_ISA=generic forces the portable code and MTF_NATIVE_ISA=avx2 the AVX2 one
// (to test that they agree); a forced ISA the CPU lacks falls back.
#pragma once

#include "vector_kernels.h"
#include "micro_kernel.h"

namespace mtf {

struct Isa {
  const char* name;  // "avx512", "avx2" or "generic"
  const MicroKernel* gemm;
  const VectorKernels* vector;
};

const Isa& active_isa();

}  // namespace mtf
