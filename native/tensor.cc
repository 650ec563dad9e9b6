#include "tensor.h"

#include <algorithm>
#include <memory>

#include "addon_data.h"
#include "allocator.h"
#include "common.h"
#include "entry.h"
#include "memory.h"
#include "per_thread.h"

namespace tn {

// This thread's handle slots (each worker_thread is its own JS thread, finalizers included). A slot is
// never freed, only reused under a new generation, so a token names at most one live tensor.
struct HandleTable {
  // A token is the generation and the slot index in one integer below 2^53, so that a JS number holds it
  // exactly. The JS object keeps it under a symbol that only this addon holds (see Init).
  static constexpr int kIndexBits = 24;
  static constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;
  static constexpr uint64_t kGenerationMask = (uint64_t{1} << (53 - kIndexBits)) - 1;

  napi_env env = nullptr;
  std::vector<std::unique_ptr<Tensor>> slots;
  std::vector<uint32_t> free;
  Tensor disposed;            // what a stale token reads as: a handle holding nothing
  std::vector<napi_ref> dead_refs;  // weak references of freed slots, deleted outside the collector
  napi_ref maker = nullptr;   // the JS constructor that makes Tensor objects (Init)
  napi_ref key = nullptr;     // the symbol its objects keep their token under
  napi_ref words_ref = nullptr;  // the op call's shared words (Tensor::kCallWords doubles), kept alive
  double* words = nullptr;       // …and their memory, which V8 never moves

  static uint64_t Token(const Tensor* t) { return ((t->generation_ & kGenerationMask) << kIndexBits) | t->index_; }

  // The live slot a token names; &disposed when the slot was freed since; nullptr when it is no token.
  Tensor* Resolve(uint64_t bits) {
    uint64_t index = bits & kIndexMask;
    if (bits >> 53 != 0 || index >= slots.size()) return nullptr;
    Tensor* t = slots[index].get();
    return ((t->generation_ & kGenerationMask) == (bits >> kIndexBits)) ? t : &disposed;
  }

  Tensor* ResolveNumber(double v) {
    if (!(v >= 0 && v < 9007199254740992.0)) return nullptr;
    uint64_t bits = static_cast<uint64_t>(v);
    return static_cast<double>(bits) == v ? Resolve(bits) : nullptr;
  }

  Tensor* Acquire(napi_env e) {
    if (!free.empty()) {
      Tensor* t = slots[free.back()].get();
      free.pop_back();
      return t;
    }
    if (slots.size() > kIndexMask) ThrowArg(Napi::Env(e), "Tensor", "more than 16,777,215 tensors alive on one thread");
    slots.push_back(std::make_unique<Tensor>());
    slots.back()->index_ = static_cast<uint32_t>(slots.size() - 1);
    return slots.back().get();
  }

  // After Release: the slot's JS object (if any) now reads as disposed.
  void Recycle(Tensor* t) {
    if (t == &disposed) return;
    ++t->generation_;
    t->finalizer_ = false;
    if (t->weak_self_ != nullptr) dead_refs.push_back(t->weak_self_);
    t->weak_self_ = nullptr;
    free.push_back(t->index_);
  }

  // napi_delete_reference is not allowed inside the collector, where finalizers free slots.
  void DeleteDeadRefs(napi_env e) {
    for (napi_ref r : dead_refs) napi_delete_reference(e, r);
    dead_refs.clear();
  }
};

namespace {
// One per thread (per_thread.h); the op call's helpers each fetch it once.
HandleTable& Handles() { return PerThread<HandleTable>::Get(); }

// A tidy() scope holding this many handles gives the next ones a finalizer as well: a long loop inside
// one tidy() that drops its handles stays bounded, while the common small scope pays for no finalizers.
constexpr size_t kScopeHandlesWithoutFinalizer = 1000;

struct MethodData {
  Tensor::InstanceMethodCallback method;
  void* data;
};
}  // namespace

napi_value CallbackBoundary(napi_env env, Napi::Value (*body)(void*), void* state) {
  try {
    try {
      return body(state);
    } catch (const Napi::Error&) {
      throw;
    } catch (...) {
      RethrowAsTorchError(Napi::Env(env), kAsThrown);
    }
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  }
  return nullptr;
}

Tensor::PropertyDescriptor Tensor::InstanceMethod(const char* name, InstanceMethodCallback method,
                                                  napi_property_attributes attributes, void* data) {
  napi_property_descriptor d{};
  d.utf8name = name;
  d.method = &MethodCallback;
  d.attributes = attributes;
  // One per method and class definition (per JS thread), alive as long as the class.
  d.data = new MethodData{method, data};
  return d;
}

napi_value Tensor::MethodCallback(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  return CallbackBoundary(env, [](void* p) {
    Napi::CallbackInfo& i = *static_cast<Napi::CallbackInfo*>(p);
    const MethodData* d = static_cast<const MethodData*>(i.Data());
    i.SetData(d->data);
    return (This(i, "Tensor method")->*(d->method))(i);
  }, &info);
}

template <Tensor::InstanceMethodCallback Fn>
Napi::Value Tensor::ProtoMethod(const Napi::CallbackInfo& info) {
  const char* name = static_cast<const char*>(info.Data());
  try {
    return (This(info, name)->*Fn)(info);
  } catch (...) {
    RethrowAsTorchError(info.Env(), kAsThrown);
  }
}

Tensor* Tensor::This(const Napi::CallbackInfo& info, const char* where) {
  Tensor* self = FromValue(info.This());
  if (self == nullptr) throw TorchError(info.Env(), std::string(where) + ": called on a value that is not its object");
  return self;
}

// Why a JS maker: napi_new_instance of the native class plus napi_wrap cost about 4,500 instructions per
// result (a constructor callback, a private-symbol property, a napi reference), close to a small op. A
// plain JS function that stores the token under a symbol costs about a third of that, and reading the
// token back (napi_get_property) costs no more than napi_unwrap. The maker and the symbol stay inside the
// addon: the objects' constructor is the native class, which refuses `new`.
static void MakeMaker(Napi::Env env, const Napi::Function& cls) {
  static const char* kSource =
      "(function (proto) {"
      "  const handle = Symbol('torch.Tensor handle');"
      "  function Tensor(token) { this[handle] = token; }"
      "  Tensor.prototype = proto;"
      "  return [Tensor, handle];"
      "})";
  napi_value script, factory;
  NAPI_THROW_IF_FAILED_VOID(env, napi_create_string_utf8(env, kSource, NAPI_AUTO_LENGTH, &script));
  NAPI_THROW_IF_FAILED_VOID(env, napi_run_script(env, script, &factory));
  Napi::Array pair = Napi::Function(env, factory).Call({cls.Get("prototype")}).As<Napi::Array>();
  NAPI_THROW_IF_FAILED_VOID(env, napi_create_reference(env, pair.Get(0u), 1, &Handles().maker));
  NAPI_THROW_IF_FAILED_VOID(env, napi_create_reference(env, pair.Get(1u), 1, &Handles().key));
}

Napi::Function Tensor::Init(Napi::Env env, Napi::Object exports) {
  Handles().env = env;
  std::vector<PropertyDescriptor> props = {
      InstanceAccessor<&Tensor::IsDisposed>("isDisposed"),
      InstanceAccessor<&Tensor::Shape>("shape"),
      InstanceAccessor<&Tensor::Dtype>("dtype"),
      InstanceAccessor<&Tensor::Device>("device"),
      InstanceAccessor<&Tensor::Ndim>("ndim"),
      InstanceAccessor<&Tensor::GetRequiresGrad, &Tensor::SetRequiresGrad>("requiresGrad"),
      InstanceAccessor<&Tensor::Grad, &Tensor::SetGrad>("grad"),
  };
  // The ops are not here: every ATen op is a generated method through the generic call (native/ops.cc,
  // lib/ops.ts installMethods). What stays is the handle's own state and what is not an operator.
  napi_value cls;
  NAPI_THROW_IF_FAILED(env, napi_define_class(env, "Tensor", NAPI_AUTO_LENGTH, &Construct, nullptr, props.size(),
                                              props.data(), &cls), Napi::Function());
  Napi::Function ctor(env, cls);
  DefineMethods(env, ctor, {
      {"dispose", &ProtoMethod<&Tensor::Dispose>},
      {"numel", &ProtoMethod<&Tensor::Numel>},
      {"isContiguous", &ProtoMethod<&Tensor::IsContiguous>},
      {"toTypedArray", &ProtoMethod<&Tensor::ToTypedArray>},
      {"item", &ProtoMethod<&Tensor::Item>},
      {"gradFnName", &ProtoMethod<&Tensor::GradFnName>},
  });
  MakeMaker(env, ctor);
  exports.Set("Tensor", ctor);
  return ctor;
}

// The class's own constructor: users make tensors with the factories. Handles are made by the maker
// (Init), whose objects share this class's prototype, so `x instanceof Tensor` holds for them.
napi_value Tensor::Construct(napi_env env, napi_callback_info) {
  TorchError(Napi::Env(env), "Tensor: not constructible directly; use tensor(), zeros(), ones() and the other factories")
      .ThrowAsJavaScriptException();
  return nullptr;
}

// The addon is built as Node-API's experimental version, whose finalizers run inside the garbage
// collection that found the handle dead, not on a later turn of the event loop: a synchronous training
// loop frees what it dropped as it goes. Code here must not call into JS (pure C++ only).
void Tensor::Finalize(napi_env, void* token, void*) {
  Tensor* t = Handles().Resolve(reinterpret_cast<uint64_t>(token));
  if (t != nullptr) t->Release();  // a stale token (disposed, slot reused) resolves to `disposed`: a no-op
}

void Tensor::AttachFinalizer(Napi::Env env, const Napi::Value& self) {
  if (finalizer_ || this == &Handles().disposed) return;
  NAPI_THROW_IF_FAILED_VOID(env, napi_add_finalizer(env, self, reinterpret_cast<void*>(HandleTable::Token(this)), &Finalize, nullptr, nullptr));
  finalizer_ = true;
}

void Tensor::MoveTo(Napi::Env env, const Napi::Value& self, int to) {
  if (scope < 0) return;  // disposed
  RegistryMove(this, to);
  if (to == 0) AttachFinalizer(env, self);
}

void Tensor::Release() {
  HandleTable& h = Handles();
  if (this == &h.disposed) return;
  bool live = scope >= 0;
  if (live) RegistryRemove(this);
  UnlinkGrad();
  tensor = at::Tensor();
  if (live) h.Recycle(this);
}

void Tensor::UnlinkGrad() {
  if (grad_handle_ != nullptr) grad_handle_->grad_of_ = nullptr;
  if (grad_of_ != nullptr) grad_of_->grad_handle_ = nullptr;
  grad_handle_ = grad_of_ = nullptr;
}

Tensor* Tensor::NewSlot(HandleTable& h, Napi::Env env, at::Tensor t, int to, bool* finalize) {
  if (!h.dead_refs.empty()) h.DeleteDeadRefs(env);
  Tensor* slot = h.Acquire(env);
  slot->tensor = std::move(t);
  auto [scope, size] = RegistryAdd(slot, to);
  ReportNativeMemory(env, scope > 0);
  slot->finalizer_ = false;
  // Only a handle that can outlive every tidy() needs the collector to free it.
  *finalize = scope == 0 || size > kScopeHandlesWithoutFinalizer;
  return slot;
}

Napi::Value Tensor::ObjectFor(Napi::Env env, Tensor* slot, bool finalize) {
  napi_value maker, token, result;
  napi_status status = napi_get_reference_value(env, Handles().maker, &maker);
  if (status == napi_ok) status = napi_create_double(env, static_cast<double>(HandleTable::Token(slot)), &token);
  if (status == napi_ok) status = napi_new_instance(env, maker, 1, &token, &result);
  if (status != napi_ok) {
    slot->Release();
    NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  }
  if (finalize) slot->AttachFinalizer(env, Napi::Value(env, result));
  return Napi::Value(env, result);
}

Napi::Value Tensor::Make(Napi::Env env, at::Tensor t, int to) {
  bool finalize = false;
  Tensor* slot = NewSlot(Handles(), env, std::move(t), to, &finalize);
  return ObjectFor(env, slot, finalize);
}

Napi::Value Tensor::WrapInto(Napi::Env env, at::Tensor t, napi_value object) {
  HandleTable& h = Handles();
  bool finalize = false;
  Tensor* slot = NewSlot(h, env, std::move(t), -1, &finalize);
  if (finalize) slot->AttachFinalizer(env, Napi::Value(env, object));
  // Last: nothing runs between here and the wrapper reading it.
  h.words[kCallResultWord] = static_cast<double>(HandleTable::Token(slot)) + 1;
  return env.Undefined();
}

uint32_t Tensor::TakeCallMask() {
  double* w = Handles().words;
  if (w == nullptr || w[0] == 0) return 0;
  uint32_t mask = static_cast<uint32_t>(w[0]);
  w[0] = 0;
  return mask;
}

Tensor* Tensor::FromCallToken(uint32_t i) {
  HandleTable& h = Handles();
  return h.ResolveNumber(h.words[1 + i]);
}

// handles.dispose(token): Tensor.dispose() from lib/tensor.ts, which read the token itself.
Napi::Value Tensor::DisposeToken(const Napi::CallbackInfo& info) {
  double number = -1;
  napi_get_value_double(info.Env(), info[0], &number);
  Tensor* t = Handles().ResolveNumber(number);
  if (t == nullptr) throw TorchError(info.Env(), "dispose: called on a value that is not its object");
  t->Release();
  return info.Env().Undefined();
}

Napi::Object Tensor::CallProtocol(Napi::Env env) {
  HandleTable& h = Handles();
  Napi::Object out = Napi::Object::New(env);
  napi_value key, maker;
  NAPI_THROW_IF_FAILED(env, napi_get_reference_value(env, h.key, &key), out);
  NAPI_THROW_IF_FAILED(env, napi_get_reference_value(env, h.maker, &maker), out);
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, kCallWords * sizeof(double));
  h.words = static_cast<double*>(buffer.Data());
  std::fill(h.words, h.words + kCallWords, 0.0);
  NAPI_THROW_IF_FAILED(env, napi_create_reference(env, buffer, 1, &h.words_ref), out);
  out.Set("key", Napi::Value(env, key));
  out.Set("Handle", Napi::Value(env, maker));
  out.Set("words", Napi::Float64Array::New(env, kCallWords, buffer, 0));
  // The layout, so that lib/ops.ts reads it instead of repeating it.
  out.Set("tokens", Napi::Number::New(env, kCallTokens));
  out.Set("resultWord", Napi::Number::New(env, static_cast<double>(kCallResultWord)));
  out.Set("dispose", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    try {
      return DisposeToken(info);
    } catch (...) {
      RethrowAsTorchError(info.Env(), kAsThrown);
    }
  }, "dispose"));
  return out;
}

Napi::Value Tensor::Wrap(Napi::Env env, at::Tensor t) { return Make(env, std::move(t), -1); }

Napi::Value Tensor::WrapKept(Napi::Env env, at::Tensor t) { return Make(env, std::move(t), 0); }

Tensor* Tensor::FromValue(const Napi::Value& v) {
  if (!v.IsObject()) return nullptr;
  return FromObject(v.Env(), v);
}

Tensor* Tensor::FromObject(napi_env env, napi_value object) {
  HandleTable& h = Handles();
  napi_value key, token;
  double number;
  if (napi_get_reference_value(env, h.key, &key) != napi_ok) return nullptr;
  if (napi_get_property(env, object, key, &token) != napi_ok) {
    // A Proxy's trap may throw: the value is no Tensor, and the caller's message says so.
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    return nullptr;
  }
  if (napi_get_value_double(env, token, &number) != napi_ok) return nullptr;
  return h.ResolveNumber(number);
}

bool Tensor::IsTensor(const Napi::Value& v) { return FromValue(v) != nullptr; }

const at::Tensor& Tensor::Get(Napi::Env env, const Napi::Value& v, const char* where) {
  Tensor* t = FromValue(v);
  if (t == nullptr) ThrowArg(env, where, "expected a Tensor");
  return t->value(where);
}

const at::Tensor& Tensor::value(const char* where) {
  if (!tensor.defined()) ThrowArg(Napi::Env(Handles().env), where, "the Tensor has been disposed");
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
  const at::Tensor& g = value("grad").grad();
  if (!g.defined()) return env.Null();
  // A linked handle is alive: a collected or disposed one was unlinked when it was released.
  if (grad_handle_ != nullptr && grad_handle_->tensor.unsafeGetTensorImpl() == g.unsafeGetTensorImpl()) {
    napi_value linked = nullptr;
    if (napi_get_reference_value(env, grad_handle_->weak_self_, &linked) == napi_ok && linked != nullptr) {
      return Napi::Value(env, linked);
    }
  }
  if (grad_handle_ != nullptr) grad_handle_->grad_of_ = nullptr;  // a new gradient tensor: a new handle
  Napi::Value handle = Wrap(env, g);
  grad_handle_ = FromValue(handle);
  grad_handle_->grad_of_ = this;
  NAPI_THROW_IF_FAILED(env, napi_create_reference(env, handle, 0, &grad_handle_->weak_self_), Napi::Value());
  return handle;
}

// x.grad = null | Tensor, PyTorch's setter (THPVariable_set_grad): null drops the gradient (what
// Optimizer.zeroGrad and Module.zeroGrad do per parameter); a Tensor must match x's dtype, device and size.
void Tensor::SetGrad(const Napi::CallbackInfo& info, const Napi::Value& v) {
  Napi::Env env = info.Env();
  Guard(env, kAsThrown, [&] {
    at::Tensor& grad = value("grad").mutable_grad();
    if (v.IsNull() || v.IsUndefined()) {
      grad.reset();
      return;
    }
    const at::Tensor& self = tensor;
    const at::Tensor& g = Tensor::Get(env, v, "grad");
    if (g.unsafeGetTensorImpl() == self.unsafeGetTensorImpl()) ThrowArg(env, "grad", "can't assign Variable as its own grad");
    if (g.scalar_type() != self.scalar_type()) ThrowArg(env, "grad", "assigned grad has data of a different type");
    if (g.device() != self.device()) ThrowArg(env, "grad", "assigned grad has data located on a different device");
    if (!g.sizes().equals(self.sizes())) ThrowArg(env, "grad", "assigned grad has data of a different size");
    grad = g;
  });
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
