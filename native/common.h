// Shared helpers of the addon: error translation at the N-API boundary and conversions
// between JS values and libtorch types (dtype, device, shapes, scalars, options).
#pragma once
#include <c10/util/Optional.h>
#include <napi.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace tn {

// Builds a JS TorchError (the class registered by lib/ at load time) with a clean message.
Napi::Error TorchError(Napi::Env env, const std::string& message);
// c10 messages carry "Exception raised from ..." and backtraces in some builds: keep the first part.
std::string CleanMessage(const std::string& message);

// Argument errors name the function and the argument.
[[noreturn]] void ThrowArg(Napi::Env env, const std::string& where, const std::string& what);

at::ScalarType ParseDtype(Napi::Env env, const std::string& name);
bool IsDtypeName(const std::string& name);
std::string DtypeName(at::ScalarType type);
c10::Device ParseDevice(Napi::Env env, const std::string& name);
std::string DeviceName(const c10::Device& device);

at::Scalar ToScalar(Napi::Env env, const Napi::Value& v, const char* where);
std::vector<int64_t> ToIntList(Napi::Env env, const Napi::Value& v, const char* where);
int64_t ToInt(Napi::Env env, const Napi::Value& v, const char* where);
double ToDouble(Napi::Env env, const Napi::Value& v, const char* where);
bool ToBool(const Napi::Value& v, bool fallback);
// An optional argument: undefined and null mean "not given" (Python's None).
inline bool Given(const Napi::Value& v) { return !v.IsUndefined() && !v.IsNull(); }
inline bool Given(const Napi::CallbackInfo& info, size_t i) { return info.Length() > i && Given(info[i]); }
// PyTorch's _pair: an integer or a one/two-element list becomes two non-negative values.
std::vector<int64_t> ToPair(Napi::Env env, const Napi::Value& v, const std::string& where);
Napi::Array FromIntList(Napi::Env env, at::IntArrayRef values);

// A memory format by name: 'contiguous' or 'channels_last' (undefined: `fallback`); any other value is
// an error naming the function, as PyTorch refuses anything but a torch.memory_format.
at::MemoryFormat ToMemoryFormat(Napi::Env env, const Napi::Value& v, const char* where,
                                at::MemoryFormat fallback = at::MemoryFormat::Contiguous);

// {dtype, device, requiresGrad} as passed to factories; absent fields keep libtorch's defaults.
at::TensorOptions ToOptions(Napi::Env env, const Napi::Value& v, const char* where);

}  // namespace tn
