// The module entry: each libtorch concept registers its functions from its own file.
#include <napi.h>

#include <cstdlib>
#include <cstring>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "addon_data.h"
#include "allocator.h"
#include "aoti.h"
#include "autocast.h"
#include "backends.h"
#include "common.h"
#include "cuda.h"
#include "cuda_graph.h"
#include "data.h"
#include "distributed.h"
#include "factories.h"
#include "grad_mode.h"
#include "grad_scaler.h"
#include "jit.h"
#include "memory.h"
#include "nn.h"
#include "ops.h"
#include "optim_lists.h"
#include "serialization.h"
#include "tensor.h"
#include "vision.h"

namespace tn {

namespace {
// lib/ hands over its TorchError class so native errors are instances of it.
Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorClass: expected a class");
  info.Env().GetInstanceData<AddonData>()->error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}
}  // namespace

// Tensors of a training step are allocated and freed every step. glibc serves blocks above its mmap
// threshold with fresh mappings and returns them on free, so each step page-faults its activations in
// again (measured: 3.7x the page faults of the same step in Python, 1.5x the time). Python's process
// reaches larger thresholds through glibc's dynamic adjustment; Node's does not. Fixing the thresholds at
// glibc's dynamic maximum (32 MiB, trim at twice that) gives the step Python's allocation behaviour.
// TORCH_NODE_MALLOC_TUNING=0 leaves malloc alone.
void TuneMalloc() {
#ifdef __GLIBC__
  const char* flag = std::getenv("TORCH_NODE_MALLOC_TUNING");
  if (flag != nullptr && std::strcmp(flag, "0") == 0) return;
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  TuneMalloc();
  InstallCountingAllocator();
  env.SetInstanceData(new AddonData());
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  Tensor::Init(env, exports);
  InitFactories(env, exports);
  InitGradMode(env, exports);
  InitMemory(env, exports);
  InitCuda(env, exports);
  InitAutocast(env, exports);
  InitBackends(env, exports);
  InitCudaGraph(env, exports);
  InitGradScaler(env, exports);
  InitData(env, exports);
  InitNn(env, exports);
  InitOps(env, exports);
  InitOptimLists(env, exports);
  InitSerialization(env, exports);
  InitJit(env, exports);
  InitAoti(env, exports);
  InitVision(env, exports);
  InitDistributed(env, exports);
  return exports;
}

}  // namespace tn

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return tn::Init(env, exports); }

NODE_API_MODULE(torch_node, InitAddon)
