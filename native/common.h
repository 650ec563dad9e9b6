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

// A JS options object read by name; every error names "<where>: <option>" ("Adam.step: eps: expected a
// number"). An absent option (undefined or null) takes the fallback given, or is an error where none is.
class Options {
 public:
  // `v` must be an object (or undefined/null: every option absent).
  Options(Napi::Env env, const Napi::Value& v, std::string where);
  bool Has(const char* name) const { return Given(Get(name)); }
  Napi::Value Get(const char* name) const;
  double Double(const char* name) const;
  double Double(const char* name, double fallback) const;
  int64_t Int(const char* name, int64_t fallback) const;
  bool Bool(const char* name, bool fallback) const;
  // PyTorch's _pair (ToPair), or `fallback` when absent.
  std::vector<int64_t> Pair(const char* name, std::vector<int64_t> fallback) const;
  // "<where>: <name>", for messages about an option's value.
  std::string Label(const char* name) const { return where_ + ": " + name; }

 private:
  Napi::Env env_;
  Napi::Object object_;
  bool given_;
  std::string where_;
};

// {dtype, device, requiresGrad} as passed to factories; absent fields keep libtorch's defaults.
at::TensorOptions ToOptions(Napi::Env env, const Napi::Value& v, const char* where);

}  // namespace tn
