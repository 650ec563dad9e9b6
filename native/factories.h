#pragma once
#include <napi.h>

namespace tn {
void InitFactories(Napi::Env env, Napi::Object exports);
// Defined in tensor_ops.cc beside the ops they mirror.
Napi::Value Cat(const Napi::CallbackInfo& info);
Napi::Value Stack(const Napi::CallbackInfo& info);
}  // namespace tn
