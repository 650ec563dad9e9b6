// torch.jit: TorchScript modules (torch::jit::load: script_module.cc), traced graphs of our modules
// (traced_function.cc), and their calls on the libuv pool (worker.h); jit.cc registers them.
#pragma once
#include <napi.h>

namespace tn {

void InitJit(Napi::Env env, Napi::Object exports);

}  // namespace tn
