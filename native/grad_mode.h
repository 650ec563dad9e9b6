#pragma once
#include <napi.h>

namespace tn {
void InitGradMode(Napi::Env env, Napi::Object exports);
}  // namespace tn
