// torch.backends' flags and the determinism switches (at::globalContext()), in every build.
#pragma once
#include <napi.h>

namespace tn {
void InitBackends(Napi::Env env, Napi::Object exports);
}  // namespace tn
