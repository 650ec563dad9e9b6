// The JS Tensor: a node-addon-api ObjectWrap holding one at::Tensor.
// Every wrapper is linked into exactly one scope list of the registry (memory.h), so tidy()
// can free what a scope made and memory() can count what is alive.
#pragma once
#include <napi.h>
#include <torch/torch.h>

namespace tn {

class Tensor : public Napi::ObjectWrap<Tensor> {
 public:
  static Napi::Function Init(Napi::Env env, Napi::Object exports);
  // Wraps a libtorch tensor into a new JS Tensor registered in the current scope.
  static Napi::Value Wrap(Napi::Env env, at::Tensor tensor);
  static bool IsTensor(const Napi::Value& v);
  // The handle behind a JS value, or nullptr when it is not a Tensor of this addon (on this thread).
  static Tensor* FromValue(const Napi::Value& v);
  // The libtorch tensor behind a JS value; throws a TorchError naming `where` if it is not a live Tensor.
  static const at::Tensor& Get(Napi::Env env, const Napi::Value& v, const char* where);

  explicit Tensor(const Napi::CallbackInfo& info);
  ~Tensor() override;

  void Release();  // frees the libtorch reference now (dispose / end of scope)
  const at::Tensor& value(const char* where);

  // Registry links (see memory.cc).
  Tensor* prev = nullptr;
  Tensor* next = nullptr;
  int scope = -1;
  at::Tensor tensor;

 private:
  // The handle last given out for .grad (so reads return the same handle while the gradient is the same
  // tensor) and, on that handle, the tensor whose gradient it is. Plain pointers, cleared by whichever side
  // is released first: finalizers run inside garbage collection, where deleting a napi reference is unsafe.
  Tensor* grad_handle_ = nullptr;
  Tensor* grad_of_ = nullptr;
  void UnlinkGrad();
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value Dtype(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value Ndim(const Napi::CallbackInfo& info);
  Napi::Value Numel(const Napi::CallbackInfo& info);
  Napi::Value GetRequiresGrad(const Napi::CallbackInfo& info);
  void SetRequiresGrad(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value Grad(const Napi::CallbackInfo& info);
  Napi::Value IsContiguous(const Napi::CallbackInfo& info);
  Napi::Value ToTypedArray(const Napi::CallbackInfo& info);
  Napi::Value Item(const Napi::CallbackInfo& info);
  Napi::Value GradFnName(const Napi::CallbackInfo& info);
};

}  // namespace tn
