// torch.jit: TorchScript modules (torch::jit::load), traced graphs of our modules, and their calls on
// the libuv pool (jit.cc).
#pragma once
#include <napi.h>

namespace tn {

void InitJit(Napi::Env env, Napi::Object exports);

}  // namespace tn
