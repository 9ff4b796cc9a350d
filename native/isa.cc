#include "isa.h"

#include <cstdlib>
#include <cstring>

namespace mtf {
namespace {

Isa select_isa() {
  const char* forced = std::getenv("MTF_NATIVE_ISA");
  const bool want_generic = forced != nullptr && std::strcmp(forced, "generic") == 0;
  const bool want_avx2 = forced != nullptr && std::strcmp(forced, "avx2") == 0;
  const VectorKernels* vector = avx2_vector_kernels();
  if (!want_generic && vector != nullptr) {
    // The AVX-512 GEMM reuses the AVX2 packing and matrix-vector kernels.
    const MicroKernel* wide = want_avx2 ? nullptr : avx512_micro_kernel();
    if (wide != nullptr) return {"avx512", wide, vector};
    const MicroKernel* gemm = avx2_micro_kernel();
    if (gemm != nullptr) return {"avx2", gemm, vector};
  }
  return {"generic", &generic_micro_kernel(), &generic_vector_kernels()};
}

}  // namespace

const Isa& active_isa() {
  static const Isa isa = select_isa();
  return isa;
}

}  // namespace mtf
