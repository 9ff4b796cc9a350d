// The portable micro-kernel: a 4 x 8 tile in plain C++ that compilers vectorise for the
// baseline instruction set (SSE2 on x86-64, NEON on arm64). Used where AVX2 is missing or
// when MTF_NATIVE_ISA=generic.
#include "micro_kernel.h"
#include "pack.h"

namespace mtf {
namespace {

constexpr int kMR = 4;
constexpr int kNR = 8;

inline void write_row(const float* acc, float* c, const TileEpilogue& ep) {
  float r[kNR];
  for (int j = 0; j < kNR; ++j) r[j] = acc[j];
  if (ep.alpha != 1.0f)
    for (int j = 0; j < kNR; ++j) r[j] *= ep.alpha;
  if (ep.beta == 1.0f) {
    for (int j = 0; j < kNR; ++j) r[j] += c[j];
  } else if (ep.beta != 0.0f) {
    for (int j = 0; j < kNR; ++j) r[j] += ep.beta * c[j];
  }
  if (ep.bias != nullptr)
    for (int j = 0; j < kNR; ++j) r[j] += ep.bias[j];
  if (ep.relu)
    for (int j = 0; j < kNR; ++j) r[j] = r[j] > 0.0f ? r[j] : 0.0f;
  for (int j = 0; j < kNR; ++j) c[j] = r[j];
}

void kernel_4x8(long kc, const float* a, const float* b, long ldb, float* c, long ldc, int mv,
                int nv, const TileEpilogue& ep) {
  float acc[kMR][kNR] = {};
  for (long p = 0; p < kc; ++p) {
    for (int i = 0; i < kMR; ++i)
      for (int j = 0; j < kNR; ++j) acc[i][j] += a[i] * b[j];
    a += kMR;
    b += ldb;
  }
  if (mv == kMR && nv == kNR) {
    for (int i = 0; i < kMR; ++i) write_row(acc[i], c + i * ldc, ep);
    return;
  }
  float tile[kMR * kNR] = {};
  if (ep.beta != 0.0f) {
    for (int i = 0; i < mv; ++i)
      for (int j = 0; j < nv; ++j) tile[i * kNR + j] = c[i * ldc + j];
  }
  float bias[kNR] = {};
  TileEpilogue local = ep;
  if (ep.bias != nullptr) {
    for (int j = 0; j < nv; ++j) bias[j] = ep.bias[j];
    local.bias = bias;
  }
  for (int i = 0; i < kMR; ++i) write_row(acc[i], tile + i * kNR, local);
  for (int i = 0; i < mv; ++i)
    for (int j = 0; j < nv; ++j) c[i * ldc + j] = tile[i * kNR + j];
}

const MicroKernel kGeneric = {"generic", kMR, kNR, kernel_4x8, pack_a_4, pack_b_8};

}  // namespace

const MicroKernel& generic_micro_kernel() { return kGeneric; }

}  // namespace mtf
