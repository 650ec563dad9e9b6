#include "common.h"

#include <torch/cuda.h>

#include <cmath>

#include "addon_data.h"

namespace tn {

Napi::Error TorchError(Napi::Env env, const std::string& message) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data != nullptr && !data->error_class.IsEmpty()) {
    Napi::Object err = data->error_class.New({Napi::String::New(env, message)});
    return Napi::Error(env, err);
  }
  return Napi::Error::New(env, message);
}

std::string CleanMessage(const std::string& message) {
  std::string out = message;
  for (const char* marker : {"\nException raised from", "Exception raised from", "\nFrame "}) {
    size_t at = out.find(marker);
    if (at != std::string::npos) out = out.substr(0, at);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

void ThrowArg(Napi::Env env, const std::string& where, const std::string& what) {
  throw TorchError(env, where + ": " + what);
}

namespace {
struct DtypeEntry {
  const char* name;
  at::ScalarType type;
};
const DtypeEntry kDtypes[] = {
    {"float32", at::kFloat}, {"float16", at::kHalf},  {"bfloat16", at::kBFloat16},
    {"float64", at::kDouble}, {"int64", at::kLong},   {"int32", at::kInt},
    {"int16", at::kShort},    {"int8", at::kChar},    {"uint8", at::kByte},
    {"bool", at::kBool},      {"float", at::kFloat},  {"double", at::kDouble},
    {"half", at::kHalf},      {"long", at::kLong},    {"int", at::kInt},
};
}  // namespace

bool IsDtypeName(const std::string& name) {
  for (const auto& e : kDtypes)
    if (name == e.name) return true;
  return false;
}

at::ScalarType ParseDtype(Napi::Env env, const std::string& name) {
  for (const auto& e : kDtypes)
    if (name == e.name) return e.type;
  ThrowArg(env, "dtype", "unknown dtype '" + name +
                             "' (expected float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8 or bool)");
}

std::string DtypeName(at::ScalarType type) {
  for (const auto& e : kDtypes)
    if (type == e.type) return e.name;
  return c10::toString(type);
}

// Every device a JS caller names passes here, so CUDA on a build or machine without it fails in one
// line, as PyTorch's "Torch not compiled with CUDA enabled", instead of libtorch's dispatcher dump.
static void CheckCudaDevice(Napi::Env env, const c10::Device& device, const std::string& name) {
  if (!device.is_cuda()) return;
#ifndef TORCH_NODE_WITH_CUDA
  ThrowArg(env, "device", "Torch not compiled with CUDA enabled (device '" + name + "' on a CPU-only libtorch)");
#else
  const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
  if (count == 0) ThrowArg(env, "device", "CUDA is not available: no CUDA GPUs are visible (device '" + name + "')");
  if (device.has_index() && device.index() >= count) {
    ThrowArg(env, "device", "device '" + name + "' does not exist: " + std::to_string(count) + " CUDA device(s) visible");
  }
#endif
}

c10::Device ParseDevice(Napi::Env env, const std::string& name) {
  c10::optional<c10::Device> device;
  try {
    device = c10::Device(name);
  } catch (const c10::Error&) {
    ThrowArg(env, "device", "invalid device '" + name + "' (expected 'cpu', 'cuda' or 'cuda:N')");
  }
  CheckCudaDevice(env, *device, name);
  return *device;
}

std::string DeviceName(const c10::Device& device) {
  if (device.is_cpu()) return "cpu";
  return device.str();
}

at::Scalar ToScalar(Napi::Env env, const Napi::Value& v, const char* where) {
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  if (!v.IsNumber()) ThrowArg(env, where, "expected a number or a Tensor");
  double d = v.As<Napi::Number>().DoubleValue();
  // A JS integer acts like a Python int (keeps integer tensors integral); otherwise a float.
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9007199254740992.0)
    return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}

int64_t ToInt(Napi::Env env, const Napi::Value& v, const char* where) {
  if (!v.IsNumber()) ThrowArg(env, where, "expected an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::trunc(d)) ThrowArg(env, where, "expected an integer, got " + std::to_string(d));
  // Casting a double outside int64's range is undefined behaviour: refuse it here.
  if (std::fabs(d) >= 9223372036854775808.0) ThrowArg(env, where, "integer out of range: " + std::to_string(d));
  return static_cast<int64_t>(d);
}

std::vector<int64_t> ToPair(Napi::Env env, const Napi::Value& v, const std::string& where) {
  std::vector<int64_t> xs = ToIntList(env, v, where.c_str());
  if (xs.size() == 1) xs.push_back(xs[0]);
  if (xs.size() != 2) {
    ThrowArg(env, where, "expected an integer or a pair of integers, got " + std::to_string(xs.size()) + " values");
  }
  for (int64_t x : xs)
    if (x < 0) ThrowArg(env, where, "expected non-negative values, got " + std::to_string(x));
  return xs;
}

double ToDouble(Napi::Env env, const Napi::Value& v, const char* where) {
  if (!v.IsNumber()) ThrowArg(env, where, "expected a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool ToBool(const Napi::Value& v, bool fallback) {
  if (v.IsUndefined() || v.IsNull()) return fallback;
  return v.ToBoolean().Value();
}

std::vector<int64_t> ToIntList(Napi::Env env, const Napi::Value& v, const char* where) {
  std::vector<int64_t> out;
  if (v.IsNumber()) {
    out.push_back(ToInt(env, v, where));
    return out;
  }
  if (!v.IsArray()) ThrowArg(env, where, "expected an array of integers");
  Napi::Array arr = v.As<Napi::Array>();
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(ToInt(env, arr.Get(i), where));
  return out;
}

at::MemoryFormat ToMemoryFormat(Napi::Env env, const Napi::Value& v, const char* where, at::MemoryFormat fallback) {
  if (v.IsUndefined()) return fallback;
  std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (name == "contiguous") return at::MemoryFormat::Contiguous;
  if (name == "channels_last") return at::MemoryFormat::ChannelsLast;
  std::string got = v.IsString() ? "the string '" + name + "'" : v.IsNull() ? "null" : v.IsNumber() ? "a number" : "a non-string";
  throw TorchError(env, std::string(where) + "(): argument 'memoryFormat' must be 'contiguous' or 'channels_last', not " + got);
}

Napi::Array FromIntList(Napi::Env env, at::IntArrayRef values) {
  Napi::Array arr = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) arr.Set(static_cast<uint32_t>(i), Napi::Number::New(env, values[i]));
  return arr;
}

at::TensorOptions ToOptions(Napi::Env env, const Napi::Value& v, const char* where) {
  at::TensorOptions opts;
  if (v.IsUndefined() || v.IsNull()) return opts;
  if (!v.IsObject()) ThrowArg(env, where, "options must be an object");
  Napi::Object o = v.As<Napi::Object>();
  Napi::Value dtype = o.Get("dtype");
  if (!dtype.IsUndefined()) {
    if (!dtype.IsString()) ThrowArg(env, where, "dtype must be a string");
    opts = opts.dtype(ParseDtype(env, dtype.As<Napi::String>()));
  }
  Napi::Value device = o.Get("device");
  if (!device.IsUndefined()) {
    if (!device.IsString()) ThrowArg(env, where, "device must be a string");
    opts = opts.device(ParseDevice(env, device.As<Napi::String>()));
  }
  opts = opts.requires_grad(ToBool(o.Get("requiresGrad"), false));
  return opts;
}

Options::Options(Napi::Env env, const Napi::Value& v, std::string where)
    : env_(env), given_(Given(v)), where_(std::move(where)) {
  if (given_ && !v.IsObject()) ThrowArg(env, where_, "expected an options object");
  if (given_) object_ = v.As<Napi::Object>();
}

Napi::Value Options::Get(const char* name) const { return given_ ? object_.Get(name) : env_.Undefined(); }

double Options::Double(const char* name) const { return ToDouble(env_, Get(name), Label(name).c_str()); }

double Options::Double(const char* name, double fallback) const { return Has(name) ? Double(name) : fallback; }

int64_t Options::Int(const char* name, int64_t fallback) const {
  return Has(name) ? ToInt(env_, Get(name), Label(name).c_str()) : fallback;
}

bool Options::Bool(const char* name, bool fallback) const { return ToBool(Get(name), fallback); }

std::vector<int64_t> Options::Pair(const char* name, std::vector<int64_t> fallback) const {
  return Has(name) ? ToPair(env_, Get(name), Label(name)) : fallback;
}

}  // namespace tn
