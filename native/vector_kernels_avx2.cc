// The vector kernels compiled for AVX2 + FMA (see vector_kernels_impl.h). All headers are
// included before the target pragma so no shared inline code is compiled for AVX2.
#include <cmath>
#include <cstring>

#include "vector_kernels.h"

#if defined(__x86_64__) || defined(__i386__)

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include "vector_kernels_impl.h"
#pragma GCC pop_options

namespace mtf {

const VectorKernels* avx2_vector_kernels() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &kTable;
  return nullptr;
}

}  // namespace mtf

#else  // not x86

namespace mtf {
const VectorKernels* avx2_vector_kernels() { return nullptr; }
}  // namespace mtf

#endif
