// torch.tensor's copy from a TypedArray, the random seed and generator states, thread settings
// and the default dtype: the module-level functions of `torch` that are not operators (zeros, arange, cat …
// are the generated ops, lib/generated/torch.ts).
#include <ATen/core/Generator.h>
#include <c10/core/DefaultDtype.h>

#include "common.h"
#include "entry.h"
#include "factories.h"
#include "tensor.h"

#ifdef TORCH_NODE_WITH_CUDA
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

namespace tn {

namespace {


at::ScalarType TypedArrayDtype(Napi::Env env, napi_typedarray_type type) {
  switch (type) {
    case napi_float32_array: return at::kFloat;
    case napi_float64_array: return at::kDouble;
    case napi_int32_array: return at::kInt;
    case napi_int16_array: return at::kShort;
    case napi_int8_array: return at::kChar;
    case napi_uint8_array:
    case napi_uint8_clamped_array: return at::kByte;
    case napi_bigint64_array: return at::kLong;
    default: ThrowArg(env, "tensor", "unsupported TypedArray type (use Float32Array, Float64Array, Int32Array, "
                                     "Int16Array, Int8Array, Uint8Array or BigInt64Array)");
  }
}

// fromTypedArray(data, shape, options): copies the data into a new tensor.
Napi::Value FromTypedArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) ThrowArg(env, "tensor", "data must be a TypedArray");
  Napi::TypedArray data = info[0].As<Napi::TypedArray>();
  at::ScalarType src = TypedArrayDtype(env, data.TypedArrayType());
  std::vector<int64_t> shape = ToIntList(env, info[1], "tensor");
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) ThrowArg(env, "tensor", "shape has a negative size");
    numel *= d;
  }
  if (numel != static_cast<int64_t>(data.ElementLength())) {
    ThrowArg(env, "tensor", "shape holds " + std::to_string(numel) + " elements but the data has " +
                                std::to_string(data.ElementLength()));
  }
  at::TensorOptions opts = ToOptions(env, info[2], "tensor");
  uint8_t* ptr = static_cast<uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset();
  at::Tensor t = at::from_blob(ptr, shape, at::TensorOptions().dtype(src)).clone();
  at::ScalarType target = opts.has_dtype() ? opts.dtype().toScalarType() : src;
  t = t.to(opts.device(), target);
  if (opts.requires_grad()) t.set_requires_grad(true);
  return Tensor::Wrap(env, t);
}

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  torch::manual_seed(static_cast<uint64_t>(ToInt(env, info[0], "manualSeed")));
  return env.Undefined();
}

// The default generators' states ('cpu', and 'cuda:N' in CUDA builds), as torch.get_rng_state and
// torch.cuda.get_rng_state: uint8 tensors that make a resumed run draw the same numbers.
at::Generator DefaultGenerator(Napi::Env env, const std::string& device) {
  if (device == "cpu") return at::detail::getDefaultCPUGenerator();
#ifdef TORCH_NODE_WITH_CUDA
  c10::Device d = ParseDevice(env, device);
  if (d.is_cuda()) return at::cuda::detail::getDefaultCUDAGenerator(d.has_index() ? d.index() : 0);
#endif
  ThrowArg(env, "getRngState", "no default generator for device '" + device + "'");
}

Napi::Value GetRngState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string device = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "cpu";
  at::Generator gen = DefaultGenerator(env, device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return Tensor::Wrap(env, gen.get_state());
}

Napi::Value SetRngState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& state = Tensor::Get(env, info[0], "setRngState");
  std::string device = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "cpu";
  at::Generator gen = DefaultGenerator(env, device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
  return env.Undefined();
}

// torch.get_default_dtype / torch.set_default_dtype: the dtype that factories, torch.tensor of floats and nn
// parameters take when none is given. libtorch keeps it in one process-wide global (c10/core/DefaultDtype.h),
// not per thread: every thread sees a change, worker_threads included. Only floating types are accepted
// (float32, float64, float16, bfloat16), as PyTorch's Python binding checks; libtorch's setter takes any type.
Napi::Value GetDefaultDtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DtypeName(c10::get_default_dtype_as_scalartype()));
}

Napi::Value SetDefaultDtype(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string supported = "only floating-point types are supported as the default type";
  const Napi::Value v = info[0];
  if (!v.IsString() || !IsDtypeName(v.As<Napi::String>().Utf8Value())) {
    const std::string got = v.IsString() ? "'" + v.As<Napi::String>().Utf8Value() + "'"
                            : v.IsSymbol() ? std::string("(a symbol)")
                                           : v.ToString().Utf8Value();
    ThrowArg(env, "setDefaultDtype",
             "invalid dtype " + got + ": " + supported + " (float32, float64, float16 or bfloat16)");
  }
  const std::string name = v.As<Napi::String>().Utf8Value();
  at::ScalarType type = ParseDtype(env, name);
  if (!at::isFloatingType(type)) ThrowArg(env, "setDefaultDtype", supported + ", got " + name);
  c10::set_default_dtype(c10::scalarTypeToTypeMeta(type));
  return env.Undefined();
}

Napi::Value NumThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (Given(info, 0)) at::set_num_threads(static_cast<int>(ToInt(env, info[0], "setNumThreads")));
  return Napi::Number::New(env, at::get_num_threads());
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), std::to_string(TORCH_VERSION_MAJOR) + "." +
                                           std::to_string(TORCH_VERSION_MINOR) + "." +
                                           std::to_string(TORCH_VERSION_PATCH));
}

}  // namespace

// Every function runs through CallEntry (entry.h): its errors are TorchErrors that name it.
const Entry kFactories[] = {
    {"fromTypedArray", FromTypedArray, "tensor"},
    {"manualSeed", ManualSeed},
    {"getRngState", GetRngState},
    {"setRngState", SetRngState},
    {"numThreads", NumThreads},
    {"getDefaultDtype", GetDefaultDtype},
    {"setDefaultDtype", SetDefaultDtype},
    {"libtorchVersion", Version},
};

void InitFactories(Napi::Env env, Napi::Object exports) { Export(env, exports, kFactories); }

}  // namespace tn
