// Which instruction set the kernels run on, chosen once at load time: AVX2 + FMA when the CPU
// has it, otherwise the portable code. MTF_NATIVE_ISA=generic forces the portable code (to
// test that both agree); MTF_NATIVE_ISA=avx2 asks for AVX2 but still falls back without it.
#pragma once

#include "vector_kernels.h"
#include "micro_kernel.h"

namespace mtf {

struct Isa {
  const char* name;  // "avx2" or "generic"
  const MicroKernel* gemm;
  const VectorKernels* vector;
};

const Isa& active_isa();

}  // namespace mtf
