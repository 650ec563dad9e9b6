// torch.nn on the native side: the layer modules (module.cc), registered by InitNn under exports.nn.
// torch.nn.functional is the generated ops (lib/nn/functional.ts), and the optimizers have no native code:
// lib/optim/*.ts runs their updates over the generated _foreach_/_fused_ ops.
#pragma once
#include <napi.h>
#include <torch/torch.h>

namespace tn {

void InitNn(Napi::Env env, Napi::Object exports);

// Wraps t as a JS Tensor that no enclosing tidy() frees: for state a module owns.
Napi::Value WrapKept(Napi::Env env, at::Tensor t);

}  // namespace tn
