// torch.nn on the native side: layer modules (module.cc) and functional ops (functional.cc). InitNn
// registers both under exports.nn / exports.functional, so addon.cc needs one line. The optimizers have
// no native code: lib/optim/*.ts runs their updates over the generated _foreach_/_fused_ ops.
#pragma once
#include <napi.h>
#include <torch/torch.h>

namespace tn {

void InitNn(Napi::Env env, Napi::Object exports);
void InitFunctional(Napi::Env env, Napi::Object exports);

// Wraps t as a JS Tensor that no enclosing tidy() frees: for state a module owns.
Napi::Value WrapKept(Napi::Env env, at::Tensor t);

}  // namespace tn
