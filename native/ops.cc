// The generic operator call: any ATen operator, looked up in libtorch's dispatcher by name and overload,
// its JS arguments converted by the operator's own schema, called boxed. lib/generated/ (written by
// scripts/gen-ops.js from native_functions.yaml) makes one native function per PyTorch name here, with
// the overloads in the order PyTorch's Python argument parser tries them; the first whose declared
// argument types accept the JS values is called. Autograd, autocast and devices behave as for any call,
// since the dispatcher handles them.
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/util/SmallVector.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <cmath>
#include <deque>
#include <memory>
#include <sstream>
#include <type_traits>

#include "common.h"
#include "entry.h"
#include "ivalue.h"
#include "ops.h"
#include "per_thread.h"
#include "schema_binder.h"
#include "tensor.h"

namespace tn {

namespace {

using c10::IValue;

// An overload's kernel called with typed C++ arguments (at::add(...)) instead of through the dispatcher's
// boxed entry: for the hottest overloads, chosen once when the overload is built (kUnboxed below). It reads
// the stack the converters filled and leaves the results there, as callBoxed does.
using Unboxed = void (*)(torch::jit::Stack& stack);

// Its arguments as the schema binder reads them (args, positional, factory, varargs_ints, signature), and
// how it is called and what it returns.
struct Overload : ArgSchema {
  c10::OperatorHandle handle;
  Unboxed unboxed;          // nullptr: callBoxed
  std::vector<std::string> return_names;
  std::vector<bool> return_writes;   // Tensor(a!): returns the argument it wrote
  std::vector<int> return_arg;       // …and that argument's index (-1: look it up)
  std::vector<bool> return_dtype;    // ScalarType returns become dtype names
};

struct OpGroup {
  std::string display;                // 'Tensor.chunk', 'torch.chunk'
  std::vector<std::string> names;     // 'chunk', 'add.Tensor', … in PyTorch's order
  bool method = false;
  bool resolved = false;
  std::vector<Overload> overloads;
};

// ---- unboxed kernels for the hottest overloads ----
// Keyed by schema name: the same operator the dispatcher would call boxed, called through its typed
// entry (at::add), which skips boxing the arguments and unboxing them again in the kernel's wrapper.
// Autograd, autocast and devices behave the same: the typed entry goes through the same dispatcher.
const at::Tensor& T(torch::jit::Stack& s, size_t i) { return s[i].toTensor(); }
at::Scalar S(torch::jit::Stack& s, size_t i) { return s[i].toScalar(); }

#define UNBOXED(NAME, EXPR)                      \
  {NAME, [](torch::jit::Stack& s) {              \
     at::Tensor r = (EXPR);                      \
     s.clear();                                  \
     s.emplace_back(std::move(r));               \
   }}

const std::pair<const char*, Unboxed> kUnboxed[] = {
    UNBOXED("add.Tensor", at::add(T(s, 0), T(s, 1), S(s, 2))),
    UNBOXED("add.Scalar", at::add(T(s, 0), S(s, 1), S(s, 2))),
    UNBOXED("sub.Tensor", at::sub(T(s, 0), T(s, 1), S(s, 2))),
    UNBOXED("sub.Scalar", at::sub(T(s, 0), S(s, 1), S(s, 2))),
    UNBOXED("mul.Tensor", at::mul(T(s, 0), T(s, 1))),
    UNBOXED("mul.Scalar", at::mul(T(s, 0), S(s, 1))),
    UNBOXED("div.Tensor", at::div(T(s, 0), T(s, 1))),
    UNBOXED("div.Scalar", at::div(T(s, 0), S(s, 1))),
    UNBOXED("add_.Tensor", T(s, 0).add_(T(s, 1), S(s, 2))),
    UNBOXED("add_.Scalar", T(s, 0).add_(S(s, 1), S(s, 2))),
    UNBOXED("sub_.Tensor", T(s, 0).sub_(T(s, 1), S(s, 2))),
    UNBOXED("mul_.Tensor", T(s, 0).mul_(T(s, 1))),
    UNBOXED("mul_.Scalar", T(s, 0).mul_(S(s, 1))),
    UNBOXED("div_.Tensor", T(s, 0).div_(T(s, 1))),
    UNBOXED("div_.Scalar", T(s, 0).div_(S(s, 1))),
    UNBOXED("neg", at::neg(T(s, 0))),
    UNBOXED("exp", at::exp(T(s, 0))),
    UNBOXED("relu", at::relu(T(s, 0))),
    UNBOXED("relu_", T(s, 0).relu_()),
    UNBOXED("sigmoid", at::sigmoid(T(s, 0))),
    UNBOXED("tanh", at::tanh(T(s, 0))),
    UNBOXED("matmul", at::matmul(T(s, 0), T(s, 1))),
    UNBOXED("eq.Tensor", at::eq(T(s, 0), T(s, 1))),
    UNBOXED("clone", at::clone(T(s, 0), s[1].toOptional<at::MemoryFormat>())),
    UNBOXED("detach", at::detach(T(s, 0))),
};
#undef UNBOXED

Unboxed UnboxedKernel(const c10::OperatorName& op) {
  std::string full = op.overload_name.empty() ? op.name.substr(6) : op.name.substr(6) + "." + op.overload_name;
  for (const auto& [name, fn] : kUnboxed) {
    if (full == name) return fn;
  }
  return nullptr;
}

// The argument a Tensor(a!) return wrote (x.add_(y) returns x): the one written in the same alias set.
int WrittenArgument(const c10::FunctionSchema& schema, const c10::Argument& ret) {
  const c10::AliasInfo* r = ret.alias_info();
  if (r == nullptr || !r->isWrite()) return -1;
  for (size_t i = 0; i < schema.arguments().size(); ++i) {
    const c10::AliasInfo* a = schema.arguments()[i].alias_info();
    if (a != nullptr && a->isWrite() && a->beforeSets() == r->beforeSets()) return static_cast<int>(i);
  }
  return -1;
}

Overload MakeOverload(const c10::OperatorHandle& handle, bool method, const std::string& display) {
  const c10::FunctionSchema& schema = handle.schema();
  Overload ov{ArgSchemaOf(schema, 0, method, display, Dialect::Aten), handle, UnboxedKernel(schema.operator_name()), {}, {}, {}, {}};
  for (const c10::Argument& r : schema.returns()) {
    ov.return_names.push_back(r.name());
    ov.return_writes.push_back(r.alias_info() != nullptr && r.alias_info()->isWrite());
    ov.return_arg.push_back(WrittenArgument(schema, r));
    ov.return_dtype.push_back(r.real_type()->kind() == c10::TypeKind::ScalarTypeType);
  }
  return ov;
}

// The operator 'name.overload' ('add.Tensor', 'relu') names in this libtorch's dispatcher, if it has it.
c10::optional<c10::OperatorHandle> FindOperator(const std::string& full) {
  size_t dot = full.find('.');
  return c10::Dispatcher::singleton().findSchema(
      {"aten::" + full.substr(0, dot), dot == std::string::npos ? "" : full.substr(dot + 1)});
}

// The overloads this libtorch has; the ones it lacks are left out (1.13 has fewer than the 2.x yaml).
void Resolve(OpGroup& g) {
  if (g.resolved) return;
  for (const std::string& full : g.names) {
    auto handle = FindOperator(full);
    if (!handle) continue;
    Overload ov = MakeOverload(*handle, g.method, g.display);
    if (g.method && (ov.args.empty() || handle->schema().arguments()[0].name() != "self")) continue;
    // Python's x.tile(2, 1), torch.ones(2, 3): the one positional argument (after self) is an int list.
    const size_t first = g.method ? 1 : 0;
    ov.varargs_ints = ov.positional == first + 1 && ov.args[first].kind == Kind::IntList;
    g.overloads.push_back(std::move(ov));
  }
  g.resolved = true;
}

// ---- binding JS values to one overload ----

// Every key of an options object must name an argument of some overload (schema_binder.h).
void CheckGroupKeys(Napi::Env env, const OpGroup& g, const Call& call) {
  std::vector<const ArgSchema*> schemas;
  for (const Overload& ov : g.overloads) schemas.push_back(&ov);
  CheckKeys(env, g.display, schemas, g.method ? 1 : 0, call.kwargs);
}

Napi::Value ResultTensor(Napi::Env env, const Overload& ov, const Call& call, size_t i, at::Tensor t) {
  if (ov.return_writes[i]) {
    // x.add_(y) returns x itself, as in PyTorch: the JS handle of the argument written.
    int arg = ov.return_arg[i];
    if (arg >= 0 && static_cast<size_t>(arg) < call.positional.size()) {
      Tensor* h = call.tensors[arg];
      if (h != nullptr && h->tensor.is_same(t)) return Napi::Value(env, call.positional[arg]);
    }
    for (size_t k = 0; k < call.positional.size(); ++k) {
      Tensor* h = call.tensors[k];
      if (h != nullptr && h->tensor.is_same(t)) return Napi::Value(env, call.positional[k]);
    }
  }
  if (call.requires_grad) t.requires_grad_(true);
  // One Tensor back to lib/ops.ts's wrapper: as its token, and the wrapper makes the object.
  if (call.result_object != nullptr && ov.return_names.size() == 1) return Tensor::WrapInto(env, std::move(t), call.result_object);
  return Tensor::Wrap(env, std::move(t));
}

Napi::Value Result(Napi::Env env, const Overload& ov, const Call& call, torch::jit::Stack& stack) {
  auto one = [&](size_t i) -> Napi::Value {
    IValue& r = stack[i];
    if (r.isTensor()) return ResultTensor(env, ov, call, i, std::move(r).toTensor());
    if (ov.return_dtype[i] && r.isInt()) return Napi::String::New(env, DtypeName(static_cast<at::ScalarType>(r.toInt())));
    return ToJs(env, r, ov.signature);
  };
  if (stack.size() == 1) return one(0);
  if (stack.empty()) return env.Undefined();
  // A tuple: an array, with PyTorch's field names too where the schema has them (topk(): values, indices).
  Napi::Array out = Napi::Array::New(env, stack.size());
  for (size_t i = 0; i < stack.size(); ++i) {
    Napi::Value v = one(i);
    out.Set(static_cast<uint32_t>(i), v);
    if (i < ov.return_names.size() && !ov.return_names[i].empty()) out.Set(Camel(ov.return_names[i]), v);
  }
  return out;
}

[[noreturn]] void NoMatch(Napi::Env env, const OpGroup& g, const Call& call) {
  std::vector<Misfit> misfits(g.overloads.size());
  torch::jit::Stack scratch;
  for (size_t i = 0; i < g.overloads.size(); ++i) {
    scratch.clear();
    Bind(env, g.overloads[i], call, scratch, &misfits[i]);
  }
  if (g.overloads.size() == 1) throw TorchError(env, g.display + "(): " + misfits[0].what);
  std::ostringstream msg;
  msg << g.display << "(): no overload accepts (";
  for (size_t i = g.method ? 1 : 0; i < call.positional.size(); ++i) {
    msg << (i > (g.method ? 1u : 0u) ? ", " : "") << JsTypeName(Napi::Value(env, call.positional[i]));
  }
  if (call.has_kwargs) msg << (call.positional.size() > (g.method ? 1u : 0u) ? ", " : "") << "options";
  msg << "); expected one of:";
  for (size_t i = 0; i < g.overloads.size(); ++i) msg << "\n  " << g.overloads[i].signature << ": " << misfits[i].what;
  throw TorchError(env, msg.str());
}

// The stacks of the calls in progress on this thread, kept between calls so that a call allocates none;
// one per nesting level (an options object's getter may call another op while this one is binding).
class StackLease {
 public:
  StackLease() : pool_(PerThread<Pool>::Get()) {
    if (pool_.depth == pool_.stacks.size()) pool_.stacks.emplace_back();
    stack_ = &pool_.stacks[pool_.depth++];
    stack_->clear();
  }
  ~StackLease() {
    stack_->clear();
    --pool_.depth;
  }
  torch::jit::Stack& get() { return *stack_; }

 private:
  struct Pool {
    std::deque<torch::jit::Stack> stacks;  // a deque: growing it moves no stack in use
    size_t depth = 0;
  };
  Pool& pool_;
  torch::jit::Stack* stack_;
};

// The call's arguments: a trailing options object becomes its keywords; trailing undefineds are not given.
// Called through lib/ops.ts's wrapper, the first Tensor::kCallTokens positionals come told apart already:
// the wrapper left the Tensors' tokens in the shared words, and every other value there is no Tensor.
void GatherArgs(const Napi::CallbackInfo& info, const OpGroup& g, uint32_t mask, Call* call) {
  Napi::Env env = info.Env();
  const bool wrapped = (mask & Tensor::kCallFromWrapper) != 0 && info.Length() > 0;
  auto add = [&](napi_value v) {
    const uint32_t i = static_cast<uint32_t>(call->positional.size());
    if (!wrapped || i >= Tensor::kCallTokens) return call->Add(env, v);
    call->AddKnown(env, v, (mask >> i & 1) ? Tensor::FromCallToken(i) : nullptr);
  };
  const size_t first = g.method ? 1 : 0;
  if (g.method) {
    if (wrapped) add(info.This());
    else call->AddSelf(env, info.This());
  }
  // The wrapper's last argument is the object a Tensor result goes into, not the op's.
  const size_t given = wrapped ? info.Length() - 1 : info.Length();
  if (wrapped) call->result_object = info[given];
  for (size_t i = 0; i < given; ++i) add(info[i]);
  while (call->positional.size() > first && call->types.back() == napi_undefined) call->PopBack();
  // A Tensor (the common last argument) was told apart above; any other object is tested once here.
  if (call->positional.size() > first && call->types.back() == napi_object && call->tensors.back() == nullptr &&
      IsOptionsObject(env, call->positional.back(), true)) {
    call->kwargs = Napi::Object(env, call->positional.back());
    call->has_kwargs = true;
    call->PopBack();
    CheckGroupKeys(env, g, *call);
  }
}

// Bind for the common call: positional arguments only, no integers to gather into a list (x.view(2, 3)).
// It accepts exactly what Bind accepts, with the Tensors GatherArgs looked up, and builds no message:
// when no overload fits, NoMatch asks Bind why.
bool BindPositional(Napi::Env env, const Overload& ov, const Call& call, torch::jit::Stack& stack) {
  const size_t npos = call.positional.size();
  if (npos > ov.positional) return false;
  for (size_t i = 0; i < ov.args.size(); ++i) {
    const Arg& a = ov.args[i];
    const napi_valuetype type = i < npos && !a.kwarg_only ? call.types[i] : napi_undefined;
    if (type == napi_undefined || type == napi_null) {
      if (type == napi_undefined && a.def) stack.push_back(*a.def);
      else if (a.optional) stack.emplace_back();
      else return false;
    } else if (call.tensors[i] != nullptr && (a.kind == Kind::Tensor || a.kind == Kind::TensorOrNumber)) {
      stack.emplace_back(call.tensors[i]->value(a.where.c_str()));
    } else if (a.kind == Kind::Tensor) {
      return false;
    } else {
      IValue iv;
      if (!a.convert(env, a, Napi::Value(env, call.positional[i]), &iv)) return false;
      stack.push_back(std::move(iv));
    }
  }
  return true;
}

// Whether the call takes BindPositional's way for this overload.
bool IsPositionalCall(const Overload& ov, const Call& call) {
  if (call.has_kwargs) return false;
  const size_t first = ov.positional - 1;  // where the int list is, when ov.varargs_ints
  return !(ov.varargs_ints && call.positional.size() > first && call.types[first] == napi_number);
}

Napi::Value CallOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  OpGroup& g = *static_cast<OpGroup*>(info.Data());
  const uint32_t mask = Tensor::TakeCallMask();  // first: whatever throws next, no later call sees this one's
  try {
    Resolve(g);
    if (g.overloads.empty()) {
      throw TorchError(env, g.display + "(): aten::" + g.names[0].substr(0, g.names[0].find('.')) +
                                " is not in this libtorch (" + TORCH_VERSION + ")");
    }
    Call call;
    GatherArgs(info, g, mask, &call);
    StackLease lease;
    torch::jit::Stack& stack = lease.get();
    for (const Overload& ov : g.overloads) {
      stack.clear();
      if (!(IsPositionalCall(ov, call) ? BindPositional(env, ov, call, stack) : Bind(env, ov, call, stack, nullptr))) continue;
      call.requires_grad = ov.factory && call.has_kwargs &&
                           (ToBool(call.kwargs.Get("requiresGrad"), false) || ToBool(call.kwargs.Get("requires_grad"), false));
      if (ov.unboxed != nullptr) ov.unboxed(stack);
      else ov.handle.callBoxed(&stack);
      return Result(env, ov, call, stack);
    }
    NoMatch(env, g, call);
  } catch (...) {
    RethrowAsTorchError(env, (g.display + "()").c_str());
  }
}

void DeleteGroup(napi_env, void* data, void*) { delete static_cast<OpGroup*>(data); }

// ops.bind(display, overloads, isMethod): a native function calling the first overload that fits.
Napi::Value BindOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsArray()) ThrowArg(env, "ops.bind", "expected (name, overloads[], isMethod)");
  auto group = std::make_unique<OpGroup>();
  group->display = info[0].As<Napi::String>().Utf8Value();
  Napi::Array names = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < names.Length(); ++i) group->names.push_back(names.Get(i).ToString().Utf8Value());
  if (group->names.empty()) ThrowArg(env, "ops.bind", "no overloads given for " + group->display);
  group->method = ToBool(info[2], false);
  std::string short_name = group->display.substr(group->display.rfind('.') + 1);
  Napi::Function fn = Napi::Function::New(env, CallOp, short_name, group.get());
  NAPI_THROW_IF_FAILED(env, napi_add_finalizer(env, fn, group.get(), DeleteGroup, nullptr, nullptr), Napi::Value());
  group.release();
  return fn;
}

// ops.has('name.overload'): whether this libtorch's dispatcher knows the operator.
Napi::Value Has(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), FindOperator(info[0].ToString().Utf8Value()).has_value());
}

// ops.schema('name.overload'): the schema as libtorch declares it (null when absent), for tests and docs.
Napi::Value Schema(const Napi::CallbackInfo& info) {
  auto handle = FindOperator(info[0].ToString().Utf8Value());
  if (!handle) return info.Env().Null();
  std::ostringstream s;
  s << handle->schema();
  return Napi::String::New(info.Env(), s.str());
}

const Entry kOps[] = {
    {"bind", BindOp, "ops.bind"},
    {"has", Has, "ops.has"},
    {"schema", Schema, "ops.schema"},
};

}  // namespace

void InitOps(Napi::Env env, Napi::Object exports) {
  Napi::Object ops = Napi::Object::New(env);
  Export(env, ops, kOps);
  ops.Set("handles", Tensor::CallProtocol(env));
  exports.Set("ops", ops);
}

}  // namespace tn
