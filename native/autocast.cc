// Automatic mixed precision (torch.autocast); the cuDNN flags (torch.backends.cudnn) are in backends.cc.
// libtorch 2.4 replaced the per-backend autocast switches (set_enabled, set_cpu_enabled, …) with
// calls that take a device type; both forms are wrapped here so one source builds against 1.13 and 2.x.
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "common.h"
#include "entry.h"

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TN_AUTOCAST_BY_DEVICE 1
#endif

namespace tn {

namespace {

c10::DeviceType AutocastDevice(Napi::Env env, const Napi::Value& v) {
  std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (name == "cpu") return c10::DeviceType::CPU;
  if (name == "cuda") return c10::DeviceType::CUDA;
  ThrowArg(env, "autocast", "deviceType must be 'cpu' or 'cuda', got '" + name + "'");
}

bool IsEnabled(c10::DeviceType d) {
#ifdef TN_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(d);
#else
  return d == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

void SetEnabled(c10::DeviceType d, bool enabled) {
#ifdef TN_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(d, enabled);
#else
  if (d == c10::DeviceType::CUDA) at::autocast::set_enabled(enabled);
  else at::autocast::set_cpu_enabled(enabled);
#endif
}

at::ScalarType GetDtype(c10::DeviceType d) {
#ifdef TN_AUTOCAST_BY_DEVICE
  return at::autocast::get_autocast_dtype(d);
#else
  return d == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void SetDtype(c10::DeviceType d, at::ScalarType t) {
#ifdef TN_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_dtype(d, t);
#else
  if (d == c10::DeviceType::CUDA) at::autocast::set_autocast_gpu_dtype(t);
  else at::autocast::set_autocast_cpu_dtype(t);
#endif
}

// enter(deviceType, enabled, dtype) -> {enabled, dtype} as they were, for exit().
Napi::Value Enter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  c10::DeviceType d = AutocastDevice(env, info[0]);
  bool enabled = ToBool(info[1], true);
  if (!info[2].IsString()) ThrowArg(env, "autocast", "dtype must be a string");
  at::ScalarType dtype = ParseDtype(env, info[2].As<Napi::String>());
  if (dtype != at::kHalf && dtype != at::kBFloat16) {
    ThrowArg(env, "autocast", "dtype must be float16 or bfloat16, got " + DtypeName(dtype));
  }
  Napi::Object previous = Napi::Object::New(env);
  previous.Set("enabled", Napi::Boolean::New(env, IsEnabled(d)));
  previous.Set("dtype", Napi::String::New(env, DtypeName(GetDtype(d))));
  SetEnabled(d, enabled);
  SetDtype(d, dtype);
  at::autocast::increment_nesting();
  return previous;
}

// exit(deviceType, previous): restores the state; the outermost exit drops the cast-weight cache,
// as leaving torch.autocast does.
Napi::Value Exit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  c10::DeviceType d = AutocastDevice(env, info[0]);
  if (!info[1].IsObject()) ThrowArg(env, "autocast", "exit needs the state enter() returned");
  Napi::Object previous = info[1].As<Napi::Object>();
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  SetEnabled(d, ToBool(previous.Get("enabled"), false));
  Napi::Value dtype = previous.Get("dtype");
  if (dtype.IsString()) SetDtype(d, ParseDtype(env, dtype.As<Napi::String>()));
  return env.Undefined();
}

Napi::Value IsAutocastEnabled(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Napi::Boolean::New(env, IsEnabled(AutocastDevice(env, info[0])));
}

const Entry kAmp[] = {
    {"enter", Enter, kAsThrown},
    {"exit", Exit, kAsThrown},
    {"isEnabled", IsAutocastEnabled, kAsThrown},
};

}  // namespace

void InitAutocast(Napi::Env env, Napi::Object exports) {
  Napi::Object amp = Napi::Object::New(env);
  Export(env, amp, kAmp);
  exports.Set("amp", amp);
}

}  // namespace tn
