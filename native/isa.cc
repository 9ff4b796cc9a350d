#include "isa.h"

#include <cstdlib>
#include <cstring>

namespace mtf {
namespace {

Isa select_isa() {
  const char* forced = std::getenv("MTF_NATIVE_ISA");
  const bool want_generic = forced != nullptr && std::strcmp(forced, "generic") == 0;
  const MicroKernel* gemm = avx2_micro_kernel();
  const VectorKernels* vector = avx2_vector_kernels();
  if (!want_generic && gemm != nullptr && vector != nullptr) {
    return {"avx2", gemm, vector};
  }
  return {"generic", &generic_micro_kernel(), &generic_vector_kernels()};
}

}  // namespace

const Isa& active_isa() {
  static const Isa isa = select_isa();
  return isa;
}

}  // namespace mtf
