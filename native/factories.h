#pragma once
#include <napi.h>

namespace tn {
void InitFactories(Napi::Env env, Napi::Object exports);
}  // namespace tn
