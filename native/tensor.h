// The JS Tensor: a JS object whose prototype is the native Tensor class's, and a slot of this thread's
// handle table holding one at::Tensor. Every live slot is linked into exactly one scope list of the
// registry (memory.h), so tidy() can free what a scope made and memory() can count what is alive.
//
// Why not Napi::ObjectWrap or napi_wrap: each gives every handle a napi reference (and ObjectWrap a
// finalizer), and the class constructor is a native callback: about 4,500 instructions per op result,
// close to the cost of a small op itself. Here a plain JS function (the maker, see tensor.cc) makes the
// object and stores a token (slot index and generation, one integer below 2^53) under a symbol that only
// the addon holds; only handles that can outlive every tidy() (made or kept outside one) get a finalizer.
// A slot freed early (dispose, the end of its scope) gets a new generation: its old JS object then reads
// as a disposed Tensor, whatever the slot holds next. The token is an own enumerable symbol property:
// invisible to JSON, Object.keys and printing, but copied by `{...t}`, whose copy then names the same
// tensor (it is no `instanceof Tensor`; the token grants nothing the original did not).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <vector>

namespace tn {

struct HandleTable;  // tensor.cc: this thread's handle slots

class Tensor {
 public:
  static Napi::Function Init(Napi::Env env, Napi::Object exports);
  // Wraps a libtorch tensor into a new JS Tensor registered in the current scope.
  static Napi::Value Wrap(Napi::Env env, at::Tensor tensor);
  // Wraps into the root scope, out of every tidy() (module parameters, optimizer state).
  static Napi::Value WrapKept(Napi::Env env, at::Tensor tensor);
  static bool IsTensor(const Napi::Value& v);
  // The handle behind a JS value, or nullptr when it is not a Tensor of this addon (on this thread). A
  // disposed Tensor whose slot was reused gives a handle that holds nothing (it reads as disposed).
  static Tensor* FromValue(const Napi::Value& v);
  // FromValue for a value already known to be an object (napi_typeof said so): one unwrap, no type test.
  static Tensor* FromObject(napi_env env, napi_value object);
  static Tensor* Unwrap(const Napi::Object& o) { return FromValue(o); }
  // The libtorch tensor behind a JS value; throws a TorchError naming `where` if it is not a live Tensor.
  static const at::Tensor& Get(Napi::Env env, const Napi::Value& v, const char* where);

  // ---- the op call's shared words (lib/ops.ts) ----
  // A JS wrapper around every generated op reads each Tensor argument's token itself (a cached property
  // load in JS, where Node-API's napi_get_property costs ~1,000 instructions) and leaves the tokens and a
  // mask here, in a Float64Array this thread shares with JS. It also passes, as a last extra argument, a
  // fresh Tensor object holding no token: a Tensor result is given that object (its finalizer attached
  // here when it needs one) and its token goes back in the words, so no call back into JS makes the object
  // (napi_new_instance of the maker costs ~700). Words: [0] the mask (bit i: positional i is a Tensor whose
  // token is in word 1 + i; kCallFromWrapper: the wrapper wrote it and passed the object), [1..kCallTokens]
  // the tokens, [kCallResultWord] the result's token + 1 (0: the op returned something else).
  static constexpr uint32_t kCallTokens = 8;
  static constexpr uint32_t kCallFromWrapper = 1u << kCallTokens;
  static constexpr size_t kCallResultWord = kCallTokens + 1;
  static constexpr size_t kCallWords = kCallTokens + 2;
  // The mask the wrapper left for this call (0 when the op was called directly), cleared as it is read.
  static uint32_t TakeCallMask();
  // The handle whose token the wrapper left for positional `i` (a disposed one reads as disposed).
  static Tensor* FromCallToken(uint32_t i);
  // Wrap for a call from the wrapper: the handle goes into `object` (the wrapper's fresh one), its token
  // into the words; the wrapper returns the object.
  static Napi::Value WrapInto(Napi::Env env, at::Tensor tensor, napi_value object);
  // { key, Handle, words, dispose }: what lib/ops.ts's wrapper needs (InitOps exports it as ops.handles).
  static Napi::Object CallProtocol(Napi::Env env);

  void Release();  // frees the libtorch reference now (dispose / end of scope / finalizer)
  const at::Tensor& value(const char* where);
  // Moves the handle (whose JS object is `self`) to `scope`; at the root it gets the finalizer that frees
  // it when JS drops it.
  void MoveTo(Napi::Env env, const Napi::Value& self, int scope);

  // Registry links (see memory.cc).
  Tensor* prev = nullptr;
  Tensor* next = nullptr;
  int scope = -1;
  at::Tensor tensor;

  // node-addon-api's class helpers, as ObjectWrap spells them (Init's property list).
  using PropertyDescriptor = napi_property_descriptor;
  using InstanceMethodCallback = Napi::Value (Tensor::*)(const Napi::CallbackInfo&);
  using InstanceGetterCallback = Napi::Value (Tensor::*)(const Napi::CallbackInfo&);
  using InstanceSetterCallback = void (Tensor::*)(const Napi::CallbackInfo&, const Napi::Value&);
  static PropertyDescriptor InstanceMethod(const char* name, InstanceMethodCallback method,
                                           napi_property_attributes attributes = napi_default, void* data = nullptr);
  template <InstanceGetterCallback Getter, InstanceSetterCallback Setter = nullptr>
  static PropertyDescriptor InstanceAccessor(const char* name);

  Tensor() = default;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;

 private:
  friend struct HandleTable;
  uint64_t generation_ = 0;  // bumped whenever the slot is freed
  uint32_t index_ = 0;       // the slot's place in the table
  bool finalizer_ = false;   // the JS object has the finalizer that frees the slot
  napi_ref weak_self_ = nullptr;  // a weak reference to the JS object, made only for .grad handles

  static napi_value Construct(napi_env env, napi_callback_info info);
  static void Finalize(napi_env env, void* data, void* hint);
  static Napi::Value Make(Napi::Env env, at::Tensor tensor, int scope);
  static Tensor* NewSlot(HandleTable& h, Napi::Env env, at::Tensor tensor, int scope, bool* finalize);
  static Napi::Value ObjectFor(Napi::Env env, Tensor* slot, bool finalize);
  static Napi::Value DisposeToken(const Napi::CallbackInfo& info);
  void AttachFinalizer(Napi::Env env, const Napi::Value& self);
  template <InstanceGetterCallback Getter>
  static napi_value GetterCallback(napi_env env, napi_callback_info info);
  template <InstanceSetterCallback Setter>
  static napi_value SetterCallback(napi_env env, napi_callback_info info);
  static napi_value MethodCallback(napi_env env, napi_callback_info info);
  template <InstanceMethodCallback Fn>
  static Napi::Value ProtoMethod(const Napi::CallbackInfo& info);
  // `this` of a method call, or a TorchError naming `where`.
  static Tensor* This(const Napi::CallbackInfo& info, const char* where);

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
  void SetGrad(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value IsContiguous(const Napi::CallbackInfo& info);
  Napi::Value ToTypedArray(const Napi::CallbackInfo& info);
  Napi::Value Item(const Napi::CallbackInfo& info);
  Napi::Value GradFnName(const Napi::CallbackInfo& info);
};

// Runs body() as a Node-API callback: a C++ exception becomes the pending JS exception (a TorchError for
// libtorch's), as node-addon-api's own callback wrappers do.
napi_value CallbackBoundary(napi_env env, Napi::Value (*body)(void*), void* state);

template <Tensor::InstanceGetterCallback Getter, Tensor::InstanceSetterCallback Setter>
Tensor::PropertyDescriptor Tensor::InstanceAccessor(const char* name) {
  napi_property_descriptor d{};
  d.utf8name = name;
  d.getter = &GetterCallback<Getter>;
  if constexpr (Setter != nullptr) d.setter = &SetterCallback<Setter>;
  d.attributes = napi_default;
  return d;
}

template <Tensor::InstanceGetterCallback Getter>
napi_value Tensor::GetterCallback(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  return CallbackBoundary(env, [](void* p) {
    const Napi::CallbackInfo& i = *static_cast<const Napi::CallbackInfo*>(p);
    return (This(i, "Tensor getter")->*Getter)(i);
  }, &info);
}

template <Tensor::InstanceSetterCallback Setter>
napi_value Tensor::SetterCallback(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  return CallbackBoundary(env, [](void* p) {
    const Napi::CallbackInfo& i = *static_cast<const Napi::CallbackInfo*>(p);
    (This(i, "Tensor setter")->*Setter)(i, i[0]);
    return Napi::Value();
  }, &info);
}

}  // namespace tn
