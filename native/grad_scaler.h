// torch.amp.GradScaler's kernels (native/grad_scaler.cc).
#pragma once
#include <napi.h>

namespace tn {
void InitGradScaler(Napi::Env env, Napi::Object exports);
}  // namespace tn
