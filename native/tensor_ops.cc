#include "tensor_ops.h"

#include "common.h"
#include "tensor.h"

namespace tn {

namespace {

using Info = const Napi::CallbackInfo&;
using T = const at::Tensor&;

Napi::Value W(Info info, at::Tensor t) { return Tensor::Wrap(info.Env(), std::move(t)); }


int64_t Dim(Info info, size_t i, const char* where) { return ToInt(info.Env(), info[i], where); }

// Shape given either as one array or as separate integers: view([2, 3]) or view(2, 3).
std::vector<int64_t> ShapeArgs(Info info, const char* where) {
  if (info.Length() == 1 && info[0].IsArray()) return ToIntList(info.Env(), info[0], where);
  std::vector<int64_t> out;
  for (size_t i = 0; i < info.Length(); ++i) out.push_back(ToInt(info.Env(), info[i], where));
  return out;
}

std::vector<at::Tensor> TensorList(Info info, const Napi::Value& v, const char* where) {
  if (!v.IsArray()) ThrowArg(info.Env(), where, "expected an array of Tensors");
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(Tensor::Get(info.Env(), arr.Get(i), where));
  return out;
}

// The operand at i when it is a Tensor (one type check on the hot path), or nullptr.
const at::Tensor* TensorOrNull(Info info, size_t i, const char* where) {
  Tensor* t = Tensor::FromValue(info[i]);
  return t == nullptr ? nullptr : &t->value(where);
}

// A binary op with a Tensor or a number as the other operand.
#define BINARY(NAME, TENSOR_EXPR, SCALAR_EXPR)                              \
  {NAME, [](Info info, T self) -> Napi::Value {                            \
     Napi::Env env = info.Env();                                            \
     if (const at::Tensor* other_t = TensorOrNull(info, 0, NAME)) {         \
       const at::Tensor& other = *other_t;                                  \
       return W(info, TENSOR_EXPR);                                         \
     }                                                                      \
     at::Scalar other = ToScalar(env, info[0], NAME);                       \
     return W(info, SCALAR_EXPR);                                           \
   }}

// The in-place form returns `this`, as PyTorch's x.add_(y) returns x.
#define BINARY_(NAME, TENSOR_EXPR, SCALAR_EXPR)                             \
  {NAME, [](Info info, T self_c) -> Napi::Value {                          \
     Napi::Env env = info.Env();                                            \
     at::Tensor self = self_c;                                              \
     if (const at::Tensor* other_t = TensorOrNull(info, 0, NAME)) {         \
       const at::Tensor& other = *other_t;                                  \
       TENSOR_EXPR;                                                         \
     } else {                                                               \
       at::Scalar other = ToScalar(env, info[0], NAME);                     \
       SCALAR_EXPR;                                                         \
     }                                                                      \
     return info.This();                                                    \
   }}

#define UNARY(NAME, EXPR) \
  { NAME, [](Info info, T self) -> Napi::Value { return W(info, EXPR); } }

#define UNARY_(NAME, EXPR)                               \
  {NAME, [](Info info, T self_c) -> Napi::Value {       \
     at::Tensor self = self_c;                           \
     EXPR;                                               \
     return info.This();                                 \
   }}

at::Scalar Alpha(Info info) { return Given(info, 1) ? ToScalar(info.Env(), info[1], "alpha") : at::Scalar(1); }

// sum/mean/max/min/argmax: no dim reduces all; dim may be an integer or a list.
Napi::Value Reduce(Info info, T self, const char* name) {
  Napi::Env env = info.Env();
  std::string n(name);
  bool keepdim = ToBool(info[1], false);
  if (!Given(info, 0)) {
    if (n == "sum") return W(info, self.sum());
    if (n == "mean") return W(info, self.mean());
    if (n == "max") return W(info, self.max());
    if (n == "min") return W(info, self.min());
    return W(info, self.argmax());
  }
  if (n == "sum") return W(info, self.sum(ToIntList(env, info[0], name), keepdim));
  if (n == "mean") return W(info, self.mean(ToIntList(env, info[0], name), keepdim));
  int64_t dim = ToInt(env, info[0], name);
  if (n == "argmax") return W(info, self.argmax(dim, keepdim));
  auto result = n == "max" ? self.max(dim, keepdim) : self.min(dim, keepdim);
  Napi::Object out = Napi::Object::New(env);
  out.Set("values", W(info, std::get<0>(result)));
  out.Set("indices", W(info, std::get<1>(result)));
  return out;
}

// std/var(dim?, unbiased=true, keepdim=false), PyTorch's positional form; no dim reduces all.
Napi::Value Spread(Info info, T self, bool is_std) {
  Napi::Env env = info.Env();
  const char* name = is_std ? "std" : "var";
  bool unbiased = ToBool(info[1], true);
  bool keepdim = ToBool(info[2], false);
  if (!Given(info, 0)) return W(info, is_std ? self.std(unbiased) : self.var(unbiased));
  auto dims = ToIntList(env, info[0], name);
  return W(info, is_std ? self.std(dims, unbiased, keepdim) : self.var(dims, unbiased, keepdim));
}

// to('cuda') / to('float16') / to({device, dtype, nonBlocking, copy, memoryFormat}).
Napi::Value To(Info info, T self) {
  Napi::Env env = info.Env();
  at::TensorOptions opts = self.options();
  bool non_blocking = false, copy = false;
  c10::optional<at::MemoryFormat> format;
  auto apply = [&](const std::string& s) {
    if (IsDtypeName(s)) opts = opts.dtype(ParseDtype(env, s));
    else opts = opts.device(ParseDevice(env, s));
  };
  if (info[0].IsString()) {
    apply(info[0].As<Napi::String>());
  } else if (info[0].IsObject()) {
    Napi::Object o = info[0].As<Napi::Object>();
    if (o.Get("device").IsString()) apply(o.Get("device").As<Napi::String>());
    if (o.Get("dtype").IsString()) opts = opts.dtype(ParseDtype(env, o.Get("dtype").As<Napi::String>()));
    non_blocking = ToBool(o.Get("nonBlocking"), false);
    copy = ToBool(o.Get("copy"), false);
    if (!o.Get("memoryFormat").IsUndefined()) format = ToMemoryFormat(env, o.Get("memoryFormat"), "to");
  } else {
    ThrowArg(env, "to", "expected a device ('cpu', 'cuda', 'cuda:N'), a dtype, or {device, dtype}");
  }
  return W(info, self.to(opts.device(), opts.dtype().toScalarType(), non_blocking, copy, format));
}

Napi::Value Pad(Info info, T self) {
  Napi::Env env = info.Env();
  std::vector<int64_t> pads = ToIntList(env, info[0], "pad");
  std::string mode = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "constant";
  namespace F = torch::nn::functional;
  F::PadFuncOptions opts(pads);
  if (mode == "constant") {
    opts.mode(torch::kConstant).value(Given(info, 2) ? ToDouble(env, info[2], "pad") : 0.0);
  } else if (mode == "reflect") {
    opts.mode(torch::kReflect);
  } else if (mode == "replicate") {
    opts.mode(torch::kReplicate);
  } else if (mode == "circular") {
    opts.mode(torch::kCircular);
  } else {
    ThrowArg(env, "pad", "unknown mode '" + mode + "' (expected constant, reflect, replicate or circular)");
  }
  return W(info, F::pad(self, opts));
}

Napi::Value Slice(Info info, T self) {
  Napi::Env env = info.Env();
  int64_t dim = ToInt(env, info[0], "slice");
  c10::optional<int64_t> start, end;
  if (Given(info, 1)) start = ToInt(env, info[1], "slice");
  if (Given(info, 2)) end = ToInt(env, info[2], "slice");
  int64_t step = Given(info, 3) ? ToInt(env, info[3], "slice") : 1;
  return W(info, self.slice(dim, start, end, step));
}

Napi::Value Backward(Info info, T self) {
  Napi::Env env = info.Env();
  at::Tensor grad;
  if (Given(info, 0)) grad = Tensor::Get(env, info[0], "backward");
  bool retain = ToBool(info[1], false);
  self.backward(grad, retain);
  return env.Undefined();
}

Napi::Value Contiguous(Info info, T self) {
  return W(info, self.contiguous(ToMemoryFormat(info.Env(), info[0], "contiguous")));
}

// view(shape) or view(dtype): torch's x.view(torch.int32) reinterprets the bytes (torch.load uses it
// for a storage that tensors of several dtypes share).
Napi::Value View(Info info, T self) {
  if (info.Length() == 1 && info[0].IsString()) return W(info, self.view(ParseDtype(info.Env(), info[0].As<Napi::String>())));
  return W(info, self.view(ShapeArgs(info, "view")));
}

// as_strided(size, stride, storageOffset): a view of self's storage, as torch.load makes every tensor
// from its storage. libtorch checks that the view stays inside the storage.
Napi::Value AsStrided(Info info, T self) {
  Napi::Env env = info.Env();
  std::vector<int64_t> size = ToIntList(env, info[0], "asStrided");
  std::vector<int64_t> stride = ToIntList(env, info[1], "asStrided");
  c10::optional<int64_t> offset;
  if (Given(info, 2)) offset = ToInt(env, info[2], "asStrided");
  return W(info, self.as_strided(size, stride, offset));
}

Napi::Value Squeeze(Info info, T self) {
  if (!Given(info, 0)) return W(info, self.squeeze());
  return W(info, self.squeeze(Dim(info, 0, "squeeze")));
}

Napi::Value Clamp(Info info, T self) {
  c10::optional<at::Scalar> lo, hi;
  if (Given(info, 0)) lo = ToScalar(info.Env(), info[0], "clamp");
  if (Given(info, 1)) hi = ToScalar(info.Env(), info[1], "clamp");
  return W(info, self.clamp(lo, hi));
}

Napi::Value Flatten(Info info, T self) {
  int64_t start = Given(info, 0) ? Dim(info, 0, "flatten") : 0;
  int64_t end = Given(info, 1) ? Dim(info, 1, "flatten") : -1;
  return W(info, self.flatten(start, end));
}

const std::vector<TensorOp> kOps = {
    // Arithmetic, as Tensor.add(other, alpha) and friends.
    BINARY("add", self.add(other, Alpha(info)), self.add(other, Alpha(info))),
    BINARY("sub", self.sub(other, Alpha(info)), self.sub(other, Alpha(info))),
    BINARY("mul", self.mul(other), self.mul(other)),
    BINARY("div", self.div(other), self.div(other)),
    BINARY("pow", self.pow(other), self.pow(other)),
    BINARY("remainder", self.remainder(other), self.remainder(other)),
    BINARY("maximum", self.maximum(other), self.maximum(at::scalar_tensor(other, self.options()))),
    BINARY("minimum", self.minimum(other), self.minimum(at::scalar_tensor(other, self.options()))),
    BINARY_("add_", self.add_(other, Alpha(info)), self.add_(other, Alpha(info))),
    BINARY_("sub_", self.sub_(other, Alpha(info)), self.sub_(other, Alpha(info))),
    BINARY_("mul_", self.mul_(other), self.mul_(other)),
    BINARY_("div_", self.div_(other), self.div_(other)),
    BINARY_("copy_", self.copy_(other), self.fill_(other)),
    BINARY_("fill_", self.fill_(other), self.fill_(other)),
    // Comparisons give bool tensors.
    BINARY("eq", self.eq(other), self.eq(other)),
    BINARY("ne", self.ne(other), self.ne(other)),
    BINARY("lt", self.lt(other), self.lt(other)),
    BINARY("le", self.le(other), self.le(other)),
    BINARY("gt", self.gt(other), self.gt(other)),
    BINARY("ge", self.ge(other), self.ge(other)),
    {"matmul", [](Info info, T self) { return W(info, self.matmul(Tensor::Get(info.Env(), info[0], "matmul"))); }},
    {"equal", [](Info info, T self) -> Napi::Value {
       return Napi::Boolean::New(info.Env(), self.equal(Tensor::Get(info.Env(), info[0], "equal")));
     }},
    {"allclose", [](Info info, T self) -> Napi::Value {
       double rtol = Given(info, 1) ? ToDouble(info.Env(), info[1], "allclose") : 1e-5;
       double atol = Given(info, 2) ? ToDouble(info.Env(), info[2], "allclose") : 1e-8;
       return Napi::Boolean::New(info.Env(),
                                 self.allclose(Tensor::Get(info.Env(), info[0], "allclose"), rtol, atol));
     }},
    // Elementwise.
    UNARY("neg", self.neg()),
    UNARY("abs", self.abs()),
    UNARY("exp", self.exp()),
    UNARY("log", self.log()),
    UNARY("sqrt", self.sqrt()),
    UNARY("sigmoid", self.sigmoid()),
    UNARY("tanh", self.tanh()),
    UNARY("relu", self.relu()),
    UNARY("logicalNot", self.logical_not()),
    UNARY_("relu_", self.relu_()),
    UNARY_("zero_", self.zero_()),
    UNARY_("neg_", self.neg_()),
    {"clamp", Clamp},
    // Reductions.
    {"sum", [](Info info, T self) { return Reduce(info, self, "sum"); }},
    {"mean", [](Info info, T self) { return Reduce(info, self, "mean"); }},
    {"max", [](Info info, T self) { return Reduce(info, self, "max"); }},
    {"min", [](Info info, T self) { return Reduce(info, self, "min"); }},
    {"argmax", [](Info info, T self) { return Reduce(info, self, "argmax"); }},
    {"std", [](Info info, T self) { return Spread(info, self, true); }},
    {"var", [](Info info, T self) { return Spread(info, self, false); }},
    {"bincount", [](Info info, T self) {
       int64_t minlength = Given(info, 0) ? Dim(info, 0, "bincount") : 0;
       return W(info, self.bincount({}, minlength));
     }},
    // Shape and views.
    {"view", View},
    {"asStrided", AsStrided},
    {"reshape", [](Info info, T self) { return W(info, self.reshape(ShapeArgs(info, "reshape"))); }},
    {"permute", [](Info info, T self) { return W(info, self.permute(ShapeArgs(info, "permute"))); }},
    {"expand", [](Info info, T self) { return W(info, self.expand(ShapeArgs(info, "expand"))); }},
    {"flatten", Flatten},
    {"squeeze", Squeeze},
    {"unsqueeze", [](Info info, T self) { return W(info, self.unsqueeze(Dim(info, 0, "unsqueeze"))); }},
    {"transpose", [](Info info, T self) {
       return W(info, self.transpose(Dim(info, 0, "transpose"), Dim(info, 1, "transpose")));
     }},
    {"narrow", [](Info info, T self) {
       return W(info, self.narrow(Dim(info, 0, "narrow"), Dim(info, 1, "narrow"), Dim(info, 2, "narrow")));
     }},
    {"slice", Slice},
    {"select", [](Info info, T self) { return W(info, self.select(Dim(info, 0, "select"), Dim(info, 1, "select"))); }},
    {"maskedFill", [](Info info, T self) {
       return W(info, self.masked_fill(Tensor::Get(info.Env(), info[0], "maskedFill"),
                                       ToScalar(info.Env(), info[1], "maskedFill")));
     }},
    {"where", [](Info info, T self) {
       // x.where(cond, y): x where cond else y, as torch.where(cond, x, y).
       return W(info, at::where(Tensor::Get(info.Env(), info[0], "where"), self,
                                Tensor::Get(info.Env(), info[1], "where")));
     }},
    {"pad", Pad},
    {"contiguous", Contiguous},
    {"to", To},
    // The autograd node that made this tensor ('AddBackward0', Python's type(x.grad_fn).__name__), or null
    // for a leaf: the repr's grad_fn=<…>.
    {"gradFnName", [](Info info, T self) -> Napi::Value {
       if (!self.grad_fn()) return info.Env().Null();
       std::string name = self.grad_fn()->name();
       size_t colon = name.rfind("::");
       return Napi::String::New(info.Env(), colon == std::string::npos ? name : name.substr(colon + 2));
     }},
    {"clone", [](Info info, T self) { return W(info, self.clone()); }},
    {"detach", [](Info info, T self) { return W(info, self.detach()); }},
    // Autograd.
    {"backward", Backward},
    {"requiresGrad_", [](Info info, T self) -> Napi::Value {
       at::Tensor t = self;
       t.requires_grad_(ToBool(info[0], true));
       return info.This();
     }},
};

}  // namespace

const std::vector<TensorOp>& TensorOps() { return kOps; }

// Static helpers that take tensor lists live here too, beside the ops they mirror (exported through
// factories.cc's entry table, which catches their errors).
Napi::Value Cat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t dim = Given(info, 1) ? ToInt(env, info[1], "cat") : 0;
  return W(info, at::cat(TensorList(info, info[0], "cat"), dim));
}

Napi::Value Stack(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t dim = Given(info, 1) ? ToInt(env, info[1], "stack") : 0;
  return W(info, at::stack(TensorList(info, info[0], "stack"), dim));
}

}  // namespace tn
