// torch.nn on the native side: layer modules (module.cc) and the optimizer steps (optimizer.cc). InitNn
// registers both under exports.nn / exports.optim, so addon.cc needs one line. (torch.nn.functional is
// the generated ops: lib/nn/functional.ts.)
#pragma once
#include <napi.h>
#include <torch/torch.h>

namespace tn {

void InitNn(Napi::Env env, Napi::Object exports);
void InitOptimizer(Napi::Env env, Napi::Object exports);

// Wraps t as a JS Tensor that no enclosing tidy() frees: for state a module or optimizer owns.
Napi::Value WrapKept(Napi::Env env, at::Tensor t);

}  // namespace tn
