#pragma once
#include <napi.h>

namespace tn {
void InitAutocast(Napi::Env env, Napi::Object exports);
}  // namespace tn
