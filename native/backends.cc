// torch.backends and the determinism switches: the process-wide flags of at::globalContext() that PyTorch's
// Python properties read and write (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.*,
// torch.use_deterministic_algorithms, torch.set_float32_matmul_precision). The flags exist in every build,
// CPU-only ones included, as in PyTorch: they only take effect where a CUDA/cuDNN kernel reads them.
// Each flag is one function: called with a boolean it sets the flag; it always returns the flag's value.
#include "backends.h"

#include <ATen/Context.h>

#include <string>

#include "common.h"
#include "entry.h"

namespace tn {

namespace {

bool SetterArg(const Napi::CallbackInfo& info) { return info.Length() > 0 && info[0].IsBoolean(); }

// torch.backends.cuda.matmul.allow_tf32 (default false since PyTorch 1.12): cuBLAS float32 matmuls may use TF32.
Napi::Value MatmulAllowTf32(const Napi::CallbackInfo& info) {
  if (SetterArg(info)) at::globalContext().setAllowTF32CuBLAS(info[0].As<Napi::Boolean>());
  return Napi::Boolean::New(info.Env(), at::globalContext().allowTF32CuBLAS());
}

// torch.backends.cudnn.allow_tf32 (default true): cuDNN float32 convolutions may use TF32.
Napi::Value CudnnAllowTf32(const Napi::CallbackInfo& info) {
  if (SetterArg(info)) at::globalContext().setAllowTF32CuDNN(info[0].As<Napi::Boolean>());
  return Napi::Boolean::New(info.Env(), at::globalContext().allowTF32CuDNN());
}

// torch.backends.cudnn.benchmark: cuDNN times its algorithms once per input shape and keeps the fastest.
Napi::Value CudnnBenchmark(const Napi::CallbackInfo& info) {
  if (SetterArg(info)) at::globalContext().setBenchmarkCuDNN(info[0].As<Napi::Boolean>());
  return Napi::Boolean::New(info.Env(), at::globalContext().benchmarkCuDNN());
}

// torch.backends.cudnn.deterministic: cuDNN picks only deterministic algorithms.
Napi::Value CudnnDeterministic(const Napi::CallbackInfo& info) {
  if (SetterArg(info)) at::globalContext().setDeterministicCuDNN(info[0].As<Napi::Boolean>());
  return Napi::Boolean::New(info.Env(), at::globalContext().deterministicCuDNN());
}

// torch.backends.cudnn.enabled: whether ATen may call cuDNN at all.
Napi::Value CudnnEnabled(const Napi::CallbackInfo& info) {
  if (SetterArg(info)) at::globalContext().setUserEnabledCuDNN(info[0].As<Napi::Boolean>());
  return Napi::Boolean::New(info.Env(), at::globalContext().userEnabledCuDNN());
}

// useDeterministicAlgorithms(mode, warnOnly): torch.use_deterministic_algorithms(mode, warn_only=warnOnly).
Napi::Value UseDeterministicAlgorithms(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBoolean()) ThrowArg(env, "useDeterministicAlgorithms", "mode must be a boolean");
  at::globalContext().setDeterministicAlgorithms(info[0].As<Napi::Boolean>(), ToBool(info[1], false));
  return env.Undefined();
}

Napi::Value DeterministicAlgorithms(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::globalContext().deterministicAlgorithms());
}

Napi::Value DeterministicAlgorithmsWarnOnly(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::globalContext().deterministicAlgorithmsWarnOnly());
}

// float32MatmulPrecision(value?): torch.set_float32_matmul_precision / get_float32_matmul_precision. lib/
// checks the name first (libtorch only warns and ignores an unknown one).
Napi::Value Float32MatmulPrecision(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() > 0 && info[0].IsString()) at::globalContext().setFloat32MatmulPrecision(info[0].As<Napi::String>().Utf8Value());
  switch (at::globalContext().float32MatmulPrecision()) {
    case at::Float32MatmulPrecision::HIGHEST:
      return Napi::String::New(env, "highest");
    case at::Float32MatmulPrecision::HIGH:
      return Napi::String::New(env, "high");
    case at::Float32MatmulPrecision::MEDIUM:
      return Napi::String::New(env, "medium");
  }
  return Napi::String::New(env, "highest");
}

const Entry kBackends[] = {
    {"matmulAllowTf32", MatmulAllowTf32, "torch.backends.cuda.matmul.allowTf32"},
    {"cudnnAllowTf32", CudnnAllowTf32, "torch.backends.cudnn.allowTf32"},
    {"cudnnBenchmark", CudnnBenchmark, "torch.backends.cudnn.benchmark"},
    {"cudnnDeterministic", CudnnDeterministic, "torch.backends.cudnn.deterministic"},
    {"cudnnEnabled", CudnnEnabled, "torch.backends.cudnn.enabled"},
    {"useDeterministicAlgorithms", UseDeterministicAlgorithms, "useDeterministicAlgorithms"},
    {"deterministicAlgorithms", DeterministicAlgorithms, "areDeterministicAlgorithmsEnabled"},
    {"deterministicAlgorithmsWarnOnly", DeterministicAlgorithmsWarnOnly, "isDeterministicAlgorithmsWarnOnlyEnabled"},
    {"float32MatmulPrecision", Float32MatmulPrecision, "float32MatmulPrecision"},
};

}  // namespace

void InitBackends(Napi::Env env, Napi::Object exports) {
  Napi::Object backends = Napi::Object::New(env);
  Export(env, backends, kBackends);
  exports.Set("backends", backends);
}

}  // namespace tn
