// The Node-API surface of the kernels. Kept thin for small inference calls: the hot
// functions are raw napi callbacks (node-addon-api's CallbackInfo heap-allocates beyond six
// arguments) that read the typed arrays' data pointers and call straight into the kernels.
// The TypeScript wrapper (src/nn/native-kernels.ts) validates first and throws MtfError; the
// checks here are a safety net for direct use, throwing Errors with the same codes.
#include <napi.h>

#include <cmath>
#include <cstdint>

#include "kernels.h"

namespace mtf {
namespace {

constexpr size_t kMaxArgs = 10;

struct Args {
  napi_env env;
  napi_value v[kMaxArgs];
  size_t argc = kMaxArgs;
  bool failed = false;

  Args(napi_env e, napi_callback_info info) : env(e) {
    if (napi_get_cb_info(env, info, &argc, v, nullptr, nullptr) != napi_ok) {
      fail("INTERNAL", "bad call");
    }
  }

  void fail(const char* code, const char* message) {
    if (!failed) napi_throw_error(env, code, message);
    failed = true;
  }

  napi_value arg(size_t i) {
    if (i < argc) return v[i];
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    return undefined;
  }

  // A Float32Array holding at least `need` elements.
  float* f32(size_t i, int64_t need, const char* name) {
    if (failed) return nullptr;
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, arg(i), &type, &length, &data, nullptr, nullptr) != napi_ok) {
      fail("INVALID_ARGUMENT", name);
      return nullptr;
    }
    if (type != napi_float32_array) {
      fail("NOT_IMPLEMENTED_FOR_DTYPE", name);
      return nullptr;
    }
    if (static_cast<int64_t>(length) < need) {
      fail("SHAPE_MISMATCH", name);
      return nullptr;
    }
    return static_cast<float*>(data);
  }

  bool is_null(size_t i) {
    napi_valuetype t;
    return napi_typeof(env, arg(i), &t) == napi_ok && (t == napi_null || t == napi_undefined);
  }

  double num(size_t i) {
    double d = 0;
    if (!failed && napi_get_value_double(env, arg(i), &d) != napi_ok) {
      fail("INVALID_ARGUMENT", "expected a number");
    }
    return d;
  }

  // A dimension: an integer in [0, 2^31).
  int64_t dim(size_t i) {
    const double d = num(i);
    if (failed) return 0;
    if (!(d >= 0 && d < 2147483648.0 && d == std::floor(d))) {
      fail("INVALID_ARGUMENT", "dimensions must be non-negative integers");
      return 0;
    }
    return static_cast<int64_t>(d);
  }

  bool flag(size_t i) {
    bool b = false;
    if (!failed && napi_get_value_bool(env, arg(i), &b) != napi_ok) {
      fail("INVALID_ARGUMENT", "expected a boolean");
    }
    return b;
  }

  Activation act(size_t i) {
    const int64_t a = dim(i);
    if (!failed && a > 2) fail("INVALID_ARGUMENT", "unknown activation");
    return static_cast<Activation>(a);
  }

  void out_of_memory(bool ok) {
    if (!ok) fail("INTERNAL", "native kernels: out of memory for packing buffers");
  }
};

// gemm(transA, transB, m, n, k, alpha, a, b, beta, c)
napi_value Gemm(napi_env env, napi_callback_info info) {
  Args g(env, info);
  const bool ta = g.flag(0), tb = g.flag(1);
  const int64_t m = g.dim(2), n = g.dim(3), k = g.dim(4);
  const float alpha = static_cast<float>(g.num(5));
  const float* a = g.f32(6, m * k, "a");
  const float* b = g.f32(7, k * n, "b");
  const float beta = static_cast<float>(g.num(8));
  float* c = g.f32(9, m * n, "c");
  if (!g.failed) g.out_of_memory(gemm(ta, tb, m, n, k, alpha, a, b, beta, c));
  return nullptr;
}

// linearForward(x, w, bias, y, rows, inDim, outDim, act)
napi_value LinearForward(napi_env env, napi_callback_info info) {
  Args g(env, info);
  const int64_t rows = g.dim(4), in = g.dim(5), out = g.dim(6);
  const Activation act = g.act(7);
  const float* x = g.f32(0, rows * in, "x");
  const float* w = g.f32(1, in * out, "w");
  const float* bias = g.f32(2, out, "bias");
  float* y = g.f32(3, rows * out, "y");
  if (!g.failed) g.out_of_memory(linear_forward(x, w, bias, y, rows, in, out, act));
  return nullptr;
}

// activationBackward(y, dy, n, act)
napi_value ActivationBackward(napi_env env, napi_callback_info info) {
  Args g(env, info);
  const int64_t n = g.dim(2);
  const Activation act = g.act(3);
  const float* y = g.f32(0, n, "y");
  float* dy = g.f32(1, n, "dy");
  if (!g.failed) activation_backward(y, dy, n, act);
  return nullptr;
}

// linearBackward(x, w, dy, dx | null, dw, db, rows, inDim, outDim, accumulate)
napi_value LinearBackward(napi_env env, napi_callback_info info) {
  Args g(env, info);
  const int64_t rows = g.dim(6), in = g.dim(7), out = g.dim(8);
  const bool accumulate = g.flag(9);
  const float* x = g.f32(0, rows * in, "x");
  const float* w = g.f32(1, in * out, "w");
  const float* dy = g.f32(2, rows * out, "dy");
  float* dx = g.is_null(3) ? nullptr : g.f32(3, rows * in, "dx");
  float* dw = g.f32(4, in * out, "dw");
  float* db = g.f32(5, out, "db");
  if (!g.failed) g.out_of_memory(linear_backward(x, w, dy, dx, dw, db, rows, in, out, accumulate));
  return nullptr;
}

// adam(params, grads, m, v, n, lr, beta1, beta2, eps, step)
napi_value Adam(napi_env env, napi_callback_info info) {
  Args g(env, info);
  const int64_t n = g.dim(4);
  float* p = g.f32(0, n, "params");
  const float* grads = g.f32(1, n, "grads");
  float* m = g.f32(2, n, "m");
  float* v = g.f32(3, n, "v");
  const double lr = g.num(5), beta1 = g.num(6), beta2 = g.num(7), eps = g.num(8), step = g.num(9);
  if (!g.failed) adam(p, grads, m, v, n, lr, beta1, beta2, eps, step);
  return nullptr;
}

// softUpdate(target, source, n, eta)
napi_value SoftUpdate(napi_env env, napi_callback_info info) {
  Args g(env, info);
  const int64_t n = g.dim(2);
  float* target = g.f32(0, n, "target");
  const float* source = g.f32(1, n, "source");
  const double eta = g.num(3);
  if (!g.failed) soft_update(target, source, n, eta);
  return nullptr;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "setThreads(n): n must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  set_threads(info[0].As<Napi::Number>().Int32Value());
  return env.Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), threads());
}

void AddRaw(Napi::Env env, Napi::Object exports, const char* name, napi_callback cb) {
  napi_value fn;
  NAPI_THROW_IF_FAILED_VOID(env,
                            napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn));
  exports.Set(name, Napi::Value(env, fn));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  AddRaw(env, exports, "gemm", Gemm);
  AddRaw(env, exports, "linearForward", LinearForward);
  AddRaw(env, exports, "activationBackward", ActivationBackward);
  AddRaw(env, exports, "linearBackward", LinearBackward);
  AddRaw(env, exports, "adam", Adam);
  AddRaw(env, exports, "softUpdate", SoftUpdate);
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads, "getThreads"));
  exports.Set("isa", Napi::String::New(env, isa_name()));
  return exports;
}

}  // namespace
}  // namespace mtf

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return mtf::Init(env, exports);
}

NODE_API_MODULE(mtf_native, InitModule)
