// The operations of the Kernels interface (src/nn/kernels.ts) on raw float buffers, on the
// instruction set chosen at load time and the shared thread pool. Callers have checked sizes.
#pragma once

namespace mtf {

enum class Activation : int { kIdentity = 0, kRelu = 1, kTanh = 2 };

const char* isa_name();
void set_threads(int n);
int threads();

// Each returns false if a packing buffer could not be allocated.
bool gemm(bool ta, bool tb, long m, long n, long k, float alpha, const float* a, const float* b,
          float beta, float* c);
bool linear_forward(const float* x, const float* w, const float* bias, float* y, long rows,
                    long in_dim, long out_dim, Activation act);
bool linear_backward(const float* x, const float* w, const float* dy, float* dx, float* dw,
                     float* db, long rows, long in_dim, long out_dim, bool accumulate);

void activation_backward(const float* y, float* dy, long n, Activation act);
void adam(float* params, const float* grads, float* m, float* v, long n, double lr, double beta1,
          double beta2, double eps, double step);
void soft_update(float* target, const float* source, long n, double eta);

}  // namespace mtf
