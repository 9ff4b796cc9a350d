#include <cmath>
#include <cstring>

#include "vector_kernels.h"
#include "vector_kernels_impl.h"

namespace mtf {

const VectorKernels& generic_vector_kernels() { return kTable; }

}  // namespace mtf
