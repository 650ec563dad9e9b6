#include "tensor.h"

#include <unordered_set>

#include "addon_data.h"
#include "allocator.h"
#include "common.h"
#include "distributed.h"
#include "entry.h"
#include "memory.h"

namespace tn {

namespace {
// The handles alive on this JS thread. A value is one of our Tensors when napi_unwrap gives a pointer in
// this set: an object wrapped by another addon gives a pointer that is not here and is never dereferenced.
// A set lookup costs a tenth of Node-API's type tag, which stores a new BigInt as a private property on
// every handle (9 % of a one-element add, measured with perf).
thread_local std::unordered_set<const Tensor*> live_handles;

// Wrap() hands the tensor to the constructor through this slot rather than a napi External:
// one allocation less on the hottest path of every op. Per thread: each worker_thread is its own JS thread.
thread_local at::Tensor* pending_tensor = nullptr;
}  // namespace

Napi::Function Tensor::Init(Napi::Env env, Napi::Object exports) {
  std::vector<PropertyDescriptor> props = {
      InstanceAccessor<&Tensor::IsDisposed>("isDisposed"),
      InstanceAccessor<&Tensor::Shape>("shape"),
      InstanceAccessor<&Tensor::Dtype>("dtype"),
      InstanceAccessor<&Tensor::Device>("device"),
      InstanceAccessor<&Tensor::Ndim>("ndim"),
      InstanceAccessor<&Tensor::GetRequiresGrad, &Tensor::SetRequiresGrad>("requiresGrad"),
      InstanceAccessor<&Tensor::Grad>("grad"),
  };
  // The ops are not here: every ATen op is a generated method through the generic call (native/ops.cc,
  // lib/ops.ts installMethods). What stays is the handle's own state and what is not an operator.
  Napi::Function ctor = DefineClass(env, "Tensor", props);
  DefineMethods(env, ctor, {
      Method<Tensor, &Tensor::Dispose>("dispose"),
      Method<Tensor, &Tensor::Numel>("numel"),
      Method<Tensor, &Tensor::IsContiguous>("isContiguous"),
      Method<Tensor, &Tensor::ToTypedArray>("toTypedArray"),
      Method<Tensor, &Tensor::Item>("item"),
      Method<Tensor, &Tensor::GradFnName>("gradFnName")
  });
  env.GetInstanceData<AddonData>()->tensor_class = Napi::Persistent(ctor);
  exports.Set("Tensor", ctor);
  return ctor;
}

Tensor::Tensor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Tensor>(info) {
  Napi::Env env = info.Env();
  if (pending_tensor == nullptr) {
    throw TorchError(env, "Tensor: not constructible directly; use tensor(), zeros(), ones() and the other factories");
  }
  tensor = std::move(*pending_tensor);
  pending_tensor = nullptr;
  live_handles.insert(this);
  RegistryAdd(this);
}

// The addon is built as Node-API's experimental version, whose finalizers run inside the garbage
// collection that found the handle dead, not on a later turn of the event loop: a synchronous training
// loop frees what it dropped as it goes. Code here must not call into JS (pure C++ only).
Tensor::~Tensor() {
  Release();
  live_handles.erase(this);
}

void Tensor::Release() {
  if (scope >= 0) RegistryRemove(this);
  UnlinkGrad();
  tensor = at::Tensor();
}

void Tensor::UnlinkGrad() {
  if (grad_handle_ != nullptr) grad_handle_->grad_of_ = nullptr;
  if (grad_of_ != nullptr) grad_of_->grad_handle_ = nullptr;
  grad_handle_ = grad_of_ = nullptr;
}

Napi::Value Tensor::Wrap(Napi::Env env, at::Tensor t) {
  AddonData* data = env.GetInstanceData<AddonData>();
  ReportNativeMemory(env);
  pending_tensor = &t;
  napi_value result;
  napi_status status = napi_new_instance(env, data->tensor_class.Value(), 0, nullptr, &result);
  pending_tensor = nullptr;
  NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  return Napi::Value(env, result);
}

Tensor* Tensor::FromValue(const Napi::Value& v) {
  if (!v.IsObject()) return nullptr;
  void* wrapped = nullptr;
  if (napi_unwrap(v.Env(), v, &wrapped) != napi_ok) return nullptr;
  Tensor* t = static_cast<Tensor*>(wrapped);
  return live_handles.count(t) != 0 ? t : nullptr;
}

bool Tensor::IsTensor(const Napi::Value& v) { return FromValue(v) != nullptr; }

const at::Tensor& Tensor::Get(Napi::Env env, const Napi::Value& v, const char* where) {
  Tensor* t = FromValue(v);
  if (t == nullptr) ThrowArg(env, where, "expected a Tensor");
  return t->value(where);
}

const at::Tensor& Tensor::value(const char* where) {
  if (!tensor.defined()) ThrowArg(Env(), where, "the Tensor has been disposed");
  return tensor;
}

Napi::Value Tensor::Dispose(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

Napi::Value Tensor::IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !tensor.defined());
}

Napi::Value Tensor::Shape(const Napi::CallbackInfo& info) {
  return FromIntList(info.Env(), value("shape").sizes());
}

Napi::Value Tensor::Dtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DtypeName(value("dtype").scalar_type()));
}

Napi::Value Tensor::Device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DeviceName(value("device").device()));
}

Napi::Value Tensor::Ndim(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(value("ndim").dim()));
}

Napi::Value Tensor::Numel(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(value("numel").numel()));
}

Napi::Value Tensor::GetRequiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), value("requiresGrad").requires_grad());
}

void Tensor::SetRequiresGrad(const Napi::CallbackInfo& info, const Napi::Value& v) {
  // A setter is called through a member pointer: Guard gives it the tables' try/catch.
  Guard(info.Env(), kAsThrown, [&] { value("requiresGrad").set_requires_grad(v.ToBoolean().Value()); });
}

// x.grad is the same JS handle on every read while the gradient is the same libtorch tensor (accumulation
// into it in place keeps it; zeroGrad's set-to-None or a new tensor gives a new handle), as in PyTorch.
Napi::Value Tensor::Grad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Guard(env, kAsThrown, [] { WaitForGradients(); });  // DDP's gradient all-reduces still in flight land first
  const at::Tensor& g = value("grad").grad();
  if (!g.defined()) return env.Null();
  // A linked handle is alive: a collected or disposed one was unlinked when it was released.
  if (grad_handle_ != nullptr && grad_handle_->tensor.unsafeGetTensorImpl() == g.unsafeGetTensorImpl()) {
    Napi::Object linked = grad_handle_->Value();
    if (!linked.IsEmpty()) return linked;
  }
  if (grad_handle_ != nullptr) grad_handle_->grad_of_ = nullptr;  // a new gradient tensor: a new handle
  Napi::Value handle = Wrap(env, g);
  grad_handle_ = Unwrap(handle.As<Napi::Object>());
  grad_handle_->grad_of_ = this;
  return handle;
}

Napi::Value Tensor::IsContiguous(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Napi::Boolean::New(env, value("isContiguous").is_contiguous(ToMemoryFormat(env, info[0], "isContiguous")));
}

// Copies the data into a new TypedArray of the matching type (int64 -> BigInt64Array,
// bool -> Uint8Array, float16/bfloat16 -> Float32Array). Moves to CPU first if needed.
Napi::Value Tensor::ToTypedArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = value("toTypedArray").detach();
  // Autograd may hand out an efficient zero tensor (the gradient of sgn, for one), which has no storage;
  // conjugate and negative views keep their data unresolved: copy out what the values are.
  if (t._is_zerotensor()) t = at::zeros(t.sizes(), t.options());
  t = t.resolve_conj().resolve_neg();
  at::ScalarType type = t.scalar_type();
  if (type == at::kHalf || type == at::kBFloat16) type = at::kFloat;
  if (type == at::kBool) type = at::kByte;
  t = t.to(at::kCPU, type).contiguous();
  size_t n = static_cast<size_t>(t.numel());
  size_t bytes = n * t.element_size();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buf.Data(), t.data_ptr(), bytes);
  napi_typedarray_type kind;
  switch (type) {
    case at::kFloat: kind = napi_float32_array; break;
    case at::kDouble: kind = napi_float64_array; break;
    case at::kLong: kind = napi_bigint64_array; break;
    case at::kInt: kind = napi_int32_array; break;
    case at::kShort: kind = napi_int16_array; break;
    case at::kChar: kind = napi_int8_array; break;
    case at::kByte: kind = napi_uint8_array; break;
    default: ThrowArg(env, "toTypedArray", "unsupported dtype " + DtypeName(type));
  }
  napi_value arr;
  NAPI_THROW_IF_FAILED(env, napi_create_typedarray(env, kind, n, buf, 0, &arr), Napi::Value());
  return Napi::Value(env, arr);
}

Napi::Value Tensor::Item(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = value("item");
  if (t.numel() != 1) {
    ThrowArg(env, "item", "only a tensor with one element can be converted to a number, this one has " +
                              std::to_string(t.numel()));
  }
  at::Scalar s = t.item();
  if (s.isBoolean()) return Napi::Boolean::New(env, s.toBool());
  if (s.isIntegral(false)) return Napi::Number::New(env, static_cast<double>(s.toLong()));
  return Napi::Number::New(env, s.toDouble());
}

}  // namespace tn

namespace tn {

// The autograd node that made this tensor ('AddBackward0', Python's type(x.grad_fn).__name__), or null for
// a leaf: the repr's grad_fn=<…>. Not an operator: autograd's graph, read from the handle.
Napi::Value Tensor::GradFnName(const Napi::CallbackInfo& info) {
  const at::Tensor& self = value("gradFnName");
  if (!self.grad_fn()) return info.Env().Null();
  std::string name = self.grad_fn()->name();
  size_t colon = name.rfind("::");
  return Napi::String::New(info.Env(), colon == std::string::npos ? name : name.substr(colon + 2));
}

}  // namespace tn
