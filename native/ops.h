// The generic operator call (ops.cc): native.ops.bind/has/schema.
#pragma once
#include <napi.h>

namespace tn {

void InitOps(Napi::Env env, Napi::Object exports);

}  // namespace tn
