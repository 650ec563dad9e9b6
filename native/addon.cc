// The module entry: each libtorch concept registers its functions from its own file.
#include <napi.h>

#include "addon_data.h"
#include "autocast.h"
#include "common.h"
#include "cuda.h"
#include "data.h"
#include "factories.h"
#include "memory.h"
#include "nn.h"
#include "tensor.h"

namespace tn {

namespace {
// lib/ hands over its TorchError class so native errors are instances of it.
Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorClass: expected a class");
  info.Env().GetInstanceData<AddonData>()->error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}
}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  Tensor::Init(env, exports);
  InitFactories(env, exports);
  InitMemory(env, exports);
  InitCuda(env, exports);
  InitAutocast(env, exports);
  InitData(env, exports);
  InitNn(env, exports);
  return exports;
}

}  // namespace tn

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return tn::Init(env, exports); }

NODE_API_MODULE(torch_node, InitAddon)
