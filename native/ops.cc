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
#include "tensor.h"

namespace tn {

namespace {

using c10::IValue;

// The argument types of ATen schemas, decided once per overload so a call switches on a small enum.
enum class Kind {
  Tensor, TensorList, OptTensorList, Scalar, Int, IntList, Float, FloatList, Bool, BoolList, Str,
  ScalarType, Layout, Device, MemoryFormat, Generator, Unsupported
};

struct Arg;

// Converts one given, non-null JS value for argument `a`; false when its JS type does not fit the kind.
// Chosen by Kind when the overload is built (MakeOverload), so a call makes no switch on the kind.
using Converter = bool (*)(Napi::Env env, const Arg& a, const Napi::Value& v, IValue* out);

struct Arg {
  std::string name;   // the JS name (camelCase), as messages and options objects spell it
  std::string py_name;  // PyTorch's name (keepdim, scale_factor): an options object may use it too
  std::string type;   // the schema's type, for messages
  std::string where;  // "torch.add(): argument 'other'", for a disposed Tensor's message
  Kind kind;
  bool optional;      // T?: null/undefined is None
  int64_t size;       // int[2]: a single integer is accepted and repeated
  bool kwarg_only;
  c10::optional<IValue> def;
  Converter convert;  // kConverters[kind]
};

// An overload's kernel called with typed C++ arguments (at::add(...)) instead of through the dispatcher's
// boxed entry: for the hottest overloads, chosen once when the overload is built (kUnboxed below). It reads
// the stack the converters filled and leaves the results there, as callBoxed does.
using Unboxed = void (*)(torch::jit::Stack& stack);

struct Overload {
  c10::OperatorHandle handle;
  Unboxed unboxed;          // nullptr: callBoxed
  std::vector<Arg> args;
  size_t positional;        // arguments that may be given by position
  bool factory;             // has dtype/layout/device: admits requiresGrad as PyTorch's factories do
  bool varargs_ints;        // view(2, 3) for view(int[] size): the only positional is an int list
  std::vector<std::string> return_names;
  std::vector<bool> return_writes;   // Tensor(a!): returns the argument it wrote
  std::vector<int> return_arg;       // …and that argument's index (-1: look it up)
  std::vector<bool> return_dtype;    // ScalarType returns become dtype names
  std::string signature;             // for "expected one of" messages
};

struct OpGroup {
  std::string display;                // 'Tensor.chunk', 'torch.chunk'
  std::vector<std::string> names;     // 'chunk', 'add.Tensor', … in PyTorch's order
  bool method = false;
  bool resolved = false;
  std::vector<Overload> overloads;
};

std::string Camel(const std::string& s) {
  std::string out;
  bool up = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_' && i > 0 && i + 1 < s.size()) {
      up = true;
      continue;
    }
    out.push_back(up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    up = false;
  }
  return out;
}

Kind KindOf(const c10::TypePtr& type, bool* optional) {
  c10::TypePtr t = type;
  *optional = false;
  if (t->kind() == c10::TypeKind::OptionalType) {
    *optional = true;
    t = t->expectRef<c10::OptionalType>().getElementType();
  }
  switch (t->kind()) {
    case c10::TypeKind::TensorType: return Kind::Tensor;
    case c10::TypeKind::NumberType: return Kind::Scalar;
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType: return Kind::Int;
    case c10::TypeKind::FloatType: return Kind::Float;
    case c10::TypeKind::BoolType: return Kind::Bool;
    case c10::TypeKind::StringType: return Kind::Str;
    case c10::TypeKind::ScalarTypeType: return Kind::ScalarType;
    case c10::TypeKind::LayoutType: return Kind::Layout;
    case c10::TypeKind::DeviceObjType: return Kind::Device;
    case c10::TypeKind::MemoryFormatType: return Kind::MemoryFormat;
    case c10::TypeKind::GeneratorType: return Kind::Generator;
    case c10::TypeKind::ListType: {
      c10::TypePtr e = t->expectRef<c10::ListType>().getElementType();
      bool opt_elem = false;
      if (e->kind() == c10::TypeKind::OptionalType) {
        opt_elem = true;
        e = e->expectRef<c10::OptionalType>().getElementType();
      }
      if (e->kind() == c10::TypeKind::TensorType) return opt_elem ? Kind::OptTensorList : Kind::TensorList;
      if (opt_elem) return Kind::Unsupported;
      if (e->kind() == c10::TypeKind::IntType || e->kind() == c10::TypeKind::SymIntType) return Kind::IntList;
      if (e->kind() == c10::TypeKind::FloatType) return Kind::FloatList;
      if (e->kind() == c10::TypeKind::BoolType) return Kind::BoolList;
      return Kind::Unsupported;
    }
    default: return Kind::Unsupported;
  }
}

// ---- one converter per argument Kind ----
// Each converts a given, non-null value (Bind handles undefined and null once, for every kind) and says
// false when the JS type does not fit, so the overload resolution can try the next overload.

bool IsInteger(const Napi::Value& v) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  return std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9223372036854775808.0;
}

bool ConvertTensor(Napi::Env, const Arg& a, const Napi::Value& v, IValue* out) {
  Tensor* t = Tensor::FromValue(v);
  if (t == nullptr) return false;
  *out = t->value(a.where.c_str());
  return true;
}

bool ConvertScalar(Napi::Env env, const Arg& a, const Napi::Value& v, IValue* out) {
  if (!v.IsNumber() && !v.IsBoolean()) return false;
  *out = ToScalar(env, v, a.name.c_str());
  return true;
}

bool ConvertInt(Napi::Env, const Arg&, const Napi::Value& v, IValue* out) {
  if (!IsInteger(v)) return false;
  *out = static_cast<int64_t>(v.As<Napi::Number>().DoubleValue());
  return true;
}

bool ConvertFloat(Napi::Env, const Arg&, const Napi::Value& v, IValue* out) {
  if (!v.IsNumber()) return false;
  *out = v.As<Napi::Number>().DoubleValue();
  return true;
}

bool ConvertBool(Napi::Env, const Arg&, const Napi::Value& v, IValue* out) {
  if (!v.IsBoolean()) return false;
  *out = v.As<Napi::Boolean>().Value();
  return true;
}

bool ConvertStr(Napi::Env, const Arg&, const Napi::Value& v, IValue* out) {
  if (!v.IsString()) return false;
  *out = v.As<Napi::String>().Utf8Value();
  return true;
}

// The element types of int[], float[] and bool[]: which JS values fit, and their C++ value.
struct IntElem {
  using Type = int64_t;
  static constexpr bool kRepeats = true;  // PyTorch's int[2]: one integer stands for all of them
  static bool Fits(const Napi::Value& v) { return IsInteger(v); }
  static int64_t Get(const Napi::Value& v) { return static_cast<int64_t>(v.As<Napi::Number>().DoubleValue()); }
};
struct FloatElem {
  using Type = double;
  static constexpr bool kRepeats = true;
  static bool Fits(const Napi::Value& v) { return v.IsNumber(); }
  static double Get(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }
};
struct BoolElem {
  using Type = bool;
  static constexpr bool kRepeats = false;  // bool[3] takes an array only
  static bool Fits(const Napi::Value& v) { return v.IsBoolean(); }
  static bool Get(const Napi::Value& v) { return v.As<Napi::Boolean>().Value(); }
};

template <typename Elem>
bool ConvertList(Napi::Env, const Arg& a, const Napi::Value& v, IValue* out) {
  c10::List<typename Elem::Type> list;
  if (Elem::kRepeats && a.size > 0 && Elem::Fits(v)) {
    for (int64_t i = 0; i < a.size; ++i) list.push_back(Elem::Get(v));
  } else {
    if (!v.IsArray()) return false;
    Napi::Array arr = v.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value e = arr.Get(i);
      if (!Elem::Fits(e)) return false;
      list.push_back(Elem::Get(e));
    }
  }
  *out = std::move(list);
  return true;
}

// Tensor[] and Tensor?[] (whose elements may be null or undefined: None).
template <bool kOptionalElems>
bool ConvertTensorList(Napi::Env, const Arg& a, const Napi::Value& v, IValue* out) {
  using Elem = std::conditional_t<kOptionalElems, c10::optional<at::Tensor>, at::Tensor>;
  if (!v.IsArray()) return false;
  Napi::Array arr = v.As<Napi::Array>();
  c10::List<Elem> list;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value e = arr.Get(i);
    if constexpr (kOptionalElems) {
      if (!Given(e)) {
        list.push_back(c10::nullopt);
        continue;
      }
    }
    Tensor* t = Tensor::FromValue(e);
    if (t == nullptr) return false;
    list.push_back(t->value(a.where.c_str()));
  }
  *out = std::move(list);
  return true;
}

// The named enums, given by their names as strings: each parser says false for a name it does not know
// (ParseDevice throws its own message for a malformed device instead).
bool ParseScalarType(Napi::Env env, const std::string& s, IValue* out) {
  if (!IsDtypeName(s)) return false;
  *out = ParseDtype(env, s);
  return true;
}

bool ParseLayout(Napi::Env, const std::string& s, IValue* out) {
  if (s == "strided") *out = c10::kStrided;
  else if (s == "sparse_coo") *out = c10::kSparse;
  else return false;
  return true;
}

bool ParseDeviceName(Napi::Env env, const std::string& s, IValue* out) {
  *out = ParseDevice(env, s);
  return true;
}

bool ParseMemoryFormat(Napi::Env, const std::string& s, IValue* out) {
  if (s == "contiguous") *out = c10::MemoryFormat::Contiguous;
  else if (s == "channels_last") *out = c10::MemoryFormat::ChannelsLast;
  else if (s == "channels_last_3d") *out = c10::MemoryFormat::ChannelsLast3d;
  else if (s == "preserve") *out = c10::MemoryFormat::Preserve;
  else return false;
  return true;
}

template <bool (*Parse)(Napi::Env, const std::string&, IValue*)>
bool ConvertNamed(Napi::Env env, const Arg&, const Napi::Value& v, IValue* out) {
  return v.IsString() && Parse(env, v.As<Napi::String>().Utf8Value(), out);
}

// Generator and the types JS cannot give: only null (None) fits, which Bind accepts before converting.
bool ConvertNothing(Napi::Env, const Arg&, const Napi::Value&, IValue*) { return false; }

// Indexed by Kind, in the enum's order.
constexpr Converter kConverters[] = {
    ConvertTensor,                      // Tensor
    ConvertTensorList<false>,           // TensorList
    ConvertTensorList<true>,            // OptTensorList
    ConvertScalar,                      // Scalar
    ConvertInt,                         // Int
    ConvertList<IntElem>,               // IntList
    ConvertFloat,                       // Float
    ConvertList<FloatElem>,             // FloatList
    ConvertBool,                        // Bool
    ConvertList<BoolElem>,              // BoolList
    ConvertStr,                         // Str
    ConvertNamed<ParseScalarType>,      // ScalarType
    ConvertNamed<ParseLayout>,          // Layout
    ConvertNamed<ParseDeviceName>,      // Device
    ConvertNamed<ParseMemoryFormat>,    // MemoryFormat
    ConvertNothing,                     // Generator
    ConvertNothing,                     // Unsupported
};
static_assert(sizeof(kConverters) / sizeof(kConverters[0]) == static_cast<size_t>(Kind::Unsupported) + 1,
              "one converter per Kind");

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
  Overload ov{handle, UnboxedKernel(schema.operator_name()), {}, 0, false, false, {}, {}, {}, {}, ""};
  std::ostringstream sig;
  sig << "(";
  bool star = false, has_dtype = false, has_device = false;
  for (const c10::Argument& a : schema.arguments()) {
    bool optional = false;
    Kind kind = KindOf(a.real_type(), &optional);
    Arg arg{Camel(a.name()), a.name(), a.real_type()->str(), display + "(): argument '" + Camel(a.name()) + "'", kind, optional,
            a.N() ? static_cast<int64_t>(*a.N()) : 0, a.kwarg_only(), a.default_value(),
            kConverters[static_cast<size_t>(kind)]};
    // PyTorch's factories (dtype and device arguments) also take requires_grad.
    if (a.name() == "dtype") has_dtype = true;
    if (a.name() == "device") has_device = true;
    if (!arg.kwarg_only) ++ov.positional;
    if (!method || !ov.args.empty()) {  // a method's self is `this`
      if (arg.kwarg_only && !star) sig << (sig.tellp() > 1 ? ", " : "") << "*", star = true;
      sig << (sig.tellp() > 1 ? ", " : "") << arg.name << ": " << arg.type << (arg.def ? "=…" : "");
    }
    ov.args.push_back(std::move(arg));
  }
  sig << ")";
  ov.signature = sig.str();
  ov.factory = has_dtype && has_device;
  for (const c10::Argument& r : schema.returns()) {
    ov.return_names.push_back(r.name());
    ov.return_writes.push_back(r.alias_info() != nullptr && r.alias_info()->isWrite());
    ov.return_arg.push_back(WrittenArgument(schema, r));
    ov.return_dtype.push_back(r.real_type()->kind() == c10::TypeKind::ScalarTypeType);
  }
  return ov;
}

// The overloads this libtorch has; the ones it lacks are left out (1.13 has fewer than the 2.x yaml).
void Resolve(OpGroup& g) {
  if (g.resolved) return;
  for (const std::string& full : g.names) {
    size_t dot = full.find('.');
    std::string name = "aten::" + full.substr(0, dot);
    std::string overload = dot == std::string::npos ? "" : full.substr(dot + 1);
    auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
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

// Why a value does not fit: the argument's index and what was wrong; arg < 0 for a count problem.
struct Misfit {
  int arg = -2;  // -2: fits
  std::string what;
  bool ok() const { return arg == -2; }
};

// Python's keyword arguments: a trailing plain object. A Tensor (a wrapped object), an array, a typed array
// or a function is a positional value instead. The cheap tests first: most calls end with a Tensor or a number.
bool IsOptionsObject(napi_env env, napi_value v) {
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_object) return false;
  void* wrapped = nullptr;
  if (napi_unwrap(env, v, &wrapped) == napi_ok && wrapped != nullptr) return false;
  bool is = false;
  if (napi_is_array(env, v, &is) != napi_ok || is) return false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || is) return false;
  return true;
}

std::string Expected(const Arg& a) {
  switch (a.kind) {
    case Kind::Tensor: return a.optional ? "a Tensor or null" : "a Tensor";
    case Kind::Scalar: return "a number or boolean (Scalar)";
    case Kind::Int: return "an integer (" + a.type + ")";
    case Kind::IntList: return a.size > 0 ? "an integer or an array of integers (" + a.type + ")" : "an array of integers (" + a.type + ")";
    case Kind::Float: return "a number (float)";
    case Kind::FloatList: return "an array of numbers (" + a.type + ")";
    case Kind::Bool: return "a boolean";
    case Kind::BoolList: return "an array of booleans";
    case Kind::Str: return "a string";
    case Kind::TensorList: return "an array of Tensors";
    case Kind::OptTensorList: return "an array of Tensors or nulls";
    case Kind::ScalarType: return "a dtype name such as 'float32'";
    case Kind::Layout: return "a layout ('strided' or 'sparse_coo')";
    case Kind::Device: return "a device such as 'cpu' or 'cuda:0'";
    case Kind::MemoryFormat: return "a memory format ('contiguous', 'channels_last', 'channels_last_3d' or 'preserve')";
    case Kind::Generator: return "null (Generator objects are not supported by the generic call yet)";
    case Kind::Unsupported: return "nothing: arguments of type " + a.type + " are not supported from JS";
  }
  return a.type;
}

struct Call {
  c10::SmallVector<napi_value, 8> positional;  // self first for a method; no allocation for up to 8
  // Each positional's JS type and, for a Tensor, its handle: read once per call (GatherArgs), since
  // every Node-API type test and unwrap is a call into V8 (an unwrap is a property lookup, ~800
  // instructions) and the overloads tried would otherwise repeat them.
  c10::SmallVector<napi_valuetype, 8> types;
  c10::SmallVector<Tensor*, 8> tensors;        // nullptr: not a Tensor
  Napi::Object kwargs;                         // empty when none
  bool has_kwargs = false;
  bool requires_grad = false;

  void Add(napi_env env, napi_value v) {
    napi_valuetype type = napi_undefined;
    napi_typeof(env, v, &type);
    positional.push_back(v);
    types.push_back(type);
    tensors.push_back(type == napi_object ? Tensor::FromObject(env, v) : nullptr);
  }
  // A method's `this`, nearly always a Tensor: its unwrap (which tests for an object itself) says so
  // without a type test first.
  void AddSelf(napi_env env, napi_value self) {
    Tensor* t = Tensor::FromObject(env, self);
    if (t == nullptr) return Add(env, self);
    positional.push_back(self);
    types.push_back(napi_object);
    tensors.push_back(t);
  }
  void PopBack() {
    positional.pop_back();
    types.pop_back();
    tensors.pop_back();
  }
};

// The key an options object gives argument `a` under: its camelCase name, else PyTorch's own; nullptr for
// neither (both at once is refused earlier, in CheckKeys).
const std::string* KwargKey(const Napi::Object& kwargs, const Arg& a) {
  if (kwargs.Has(a.name)) return &a.name;
  if (a.py_name != a.name && kwargs.Has(a.py_name)) return &a.py_name;
  return nullptr;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Every key of an options object must name an argument of some overload (camelCase or PyTorch's name):
// an unknown one is an error naming the closest known key, never silently ignored.
void CheckKeys(Napi::Env env, const OpGroup& g, const Call& call) {
  std::vector<std::string> known;
  bool factory = false;
  for (const Overload& ov : g.overloads) {
    factory = factory || ov.factory;
    for (size_t i = g.method ? 1 : 0; i < ov.args.size(); ++i) known.push_back(ov.args[i].name);
  }
  if (factory) known.push_back("requiresGrad");
  Napi::Array keys = call.kwargs.GetPropertyNames();
  for (uint32_t k = 0; k < keys.Length(); ++k) {
    std::string key = keys.Get(k).ToString();
    std::string camel = Camel(key);
    bool found = false;
    for (const std::string& name : known) found = found || name == camel;
    if (found && camel != key && call.kwargs.Has(camel)) {
      throw TorchError(env, g.display + "(): option '" + camel + "' given twice (also as '" + key + "')");
    }
    if (found) continue;
    std::string best;
    size_t best_d = SIZE_MAX;
    for (const std::string& name : known) {
      size_t d = EditDistance(camel, name);
      if (d < best_d) best_d = d, best = name;
    }
    std::string hint = best.empty() ? "; it takes no options" : "; did you mean '" + best + "'?";
    throw TorchError(env, g.display + "(): unknown option '" + key + "'" + hint);
  }
}

// A misfit's message, built only when the call fails (`why` is null while overloads are being tried).
template <typename What>
bool Refuse(Misfit* why, int arg, const What& what) {
  if (why != nullptr) {
    why->arg = arg;
    why->what = what();
  }
  return false;
}

// x.tile(2, 1): the integers after self are the one int[] argument; `packed` holds the positional
// arguments with them gathered into one array.
void PackVarargs(Napi::Env env, const Call& call, size_t first, c10::SmallVector<napi_value, 8>* packed) {
  size_t npos = call.positional.size();
  Napi::Array arr = Napi::Array::New(env, npos - first);
  for (size_t i = first; i < npos; ++i) arr.Set(static_cast<uint32_t>(i - first), Napi::Value(env, call.positional[i]));
  packed->assign(call.positional.begin(), call.positional.begin() + first);
  packed->push_back(arr);
}

// Whether every key of the options object names an argument of this overload (or requiresGrad of a factory).
bool KwargsAllKnown(const Overload& ov, const Call& call, size_t used, Misfit* why) {
  Napi::Array keys = call.kwargs.GetPropertyNames();
  size_t extra = keys.Length() - used;
  if (ov.factory && call.kwargs.Has("requiresGrad")) --extra;
  if (ov.factory && call.kwargs.Has("requires_grad")) --extra;
  if (extra == 0) return true;
  for (uint32_t k = 0; k < keys.Length(); ++k) {
    std::string key = keys.Get(k).ToString();
    bool known = (key == "requiresGrad" || key == "requires_grad") && ov.factory;
    for (const Arg& a : ov.args) known = known || a.name == key || a.py_name == key;
    if (!known) return Refuse(why, -1, [&] { return "got an unexpected keyword argument '" + key + "'"; });
  }
  return true;
}

// A value as a message shows it: a string with its text (string 'float128'), a number itself (0.5, NaN,
// Infinity as JS spells them), else its type.
std::string Shown(const Napi::Value& v) {
  if (v.IsString()) return "string '" + v.As<Napi::String>().Utf8Value() + "'";
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    std::ostringstream s;
    s << d;
    return s.str();
  }
  return JsTypeName(v);
}

// Why a number is no int64, or empty when it is one: the three ways a JS number misses (huge, fractional, NaN).
std::string NotAnInteger(const Napi::Value& v) {
  if (!v.IsNumber() || IsInteger(v)) return "";
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::isnan(d)) return "not a number";
  if (std::isfinite(d) && d != std::trunc(d)) return "not a whole number";
  return "out of the int64 range";
}

// The value of a misfit as its message shows it; for an integer argument (or list) given a number that
// is no integer, which number and what is wrong with it (view(1e300): out of the int64 range).
std::string Shown(const Arg& a, const Napi::Value& v) {
  if (a.kind != Kind::Int && a.kind != Kind::IntList) return Shown(v);
  std::string why = NotAnInteger(v);
  if (!why.empty()) return Shown(v) + " (" + why + ")";
  if (a.kind == Kind::IntList && v.IsArray()) {
    Napi::Array arr = v.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value e = arr.Get(i);
      why = NotAnInteger(e);
      if (!why.empty()) return "an array whose element " + std::to_string(i) + " is " + Shown(e) + " (" + why + ")";
    }
  }
  return Shown(v);
}

// Converts one argument's value (undefined: not given) onto the stack; false when it does not fit.
bool BindArg(Napi::Env env, const Arg& a, int i, Napi::Value v, torch::jit::Stack& stack, Misfit* why) {
  if (v.IsUndefined()) {
    if (a.def) {
      stack.push_back(*a.def);
      return true;
    }
    if (!a.optional) return Refuse(why, i, [&] { return "missing required argument '" + a.name + "' (" + a.type + ")"; });
    stack.emplace_back();
    return true;
  }
  IValue iv;
  if (v.IsNull() ? !a.optional : !a.convert(env, a, v, &iv)) {  // null: None, iv as it is
    return Refuse(why, i, [&] { return "argument '" + a.name + "' must be " + Expected(a) + ", not " + Shown(a, v); });
  }
  stack.push_back(std::move(iv));
  return true;
}

// Fills `stack` from the call for one overload; false when it does not fit, and then, when `why` is given,
// says why there. Overloads are tried with `why` null: a misfit costs no message until no overload fits.
bool Bind(Napi::Env env, const Overload& ov, const Call& call, torch::jit::Stack& stack, Misfit* why) {
  size_t npos = call.positional.size();
  const size_t first = ov.positional - 1;  // where the int list is, when ov.varargs_ints
  const bool varargs = ov.varargs_ints && npos > first && Napi::Value(env, call.positional[first]).IsNumber();
  c10::SmallVector<napi_value, 8> packed;
  const napi_value* pos = call.positional.data();
  if (varargs) {
    PackVarargs(env, call, first, &packed);
    pos = packed.data();
    npos = first + 1;
  } else if (npos > ov.positional) {
    return Refuse(why, -1, [&] {
      return "takes at most " + std::to_string(ov.positional) + " positional arguments but " + std::to_string(npos) + " were given";
    });
  }
  size_t used_kwargs = 0;
  for (size_t i = 0; i < ov.args.size(); ++i) {
    const Arg& a = ov.args[i];
    Napi::Value v = i < npos && !a.kwarg_only ? Napi::Value(env, pos[i]) : env.Undefined();
    if (call.has_kwargs) {
      if (const std::string* key = KwargKey(call.kwargs, a)) {
        if (!v.IsUndefined()) return Refuse(why, static_cast<int>(i), [&] { return "got multiple values for argument '" + a.name + "'"; });
        v = call.kwargs.Get(*key);
        ++used_kwargs;
      }
    }
    if (!BindArg(env, a, static_cast<int>(i), v, stack, why)) return false;
  }
  return !call.has_kwargs || KwargsAllKnown(ov, call, used_kwargs, why);
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
  StackLease() {
    if (depth_ == pool_.size()) pool_.emplace_back();
    stack_ = &pool_[depth_++];
    stack_->clear();
  }
  ~StackLease() {
    stack_->clear();
    --depth_;
  }
  torch::jit::Stack& get() { return *stack_; }

 private:
  torch::jit::Stack* stack_;
  static thread_local std::deque<torch::jit::Stack> pool_;  // a deque: growing it moves no stack in use
  static thread_local size_t depth_;
};
thread_local std::deque<torch::jit::Stack> StackLease::pool_;
thread_local size_t StackLease::depth_ = 0;

// The call's arguments: a trailing options object becomes its keywords; trailing undefineds are not given.
void GatherArgs(const Napi::CallbackInfo& info, const OpGroup& g, Call* call) {
  Napi::Env env = info.Env();
  const size_t first = g.method ? 1 : 0;
  if (g.method) call->AddSelf(env, info.This());
  for (size_t i = 0; i < info.Length(); ++i) call->Add(env, info[i]);
  while (call->positional.size() > first && call->types.back() == napi_undefined) call->PopBack();
  // A Tensor (the common last argument) was told apart above; any other object is tested once here.
  if (call->positional.size() > first && call->types.back() == napi_object && call->tensors.back() == nullptr &&
      IsOptionsObject(env, call->positional.back())) {
    call->kwargs = Napi::Object(env, call->positional.back());
    call->has_kwargs = true;
    call->PopBack();
    CheckKeys(env, g, *call);
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
    } else if (a.kind == Kind::Tensor) {
      if (call.tensors[i] == nullptr) return false;
      stack.emplace_back(call.tensors[i]->value(a.where.c_str()));
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
  try {
    Resolve(g);
    if (g.overloads.empty()) {
      throw TorchError(env, g.display + "(): aten::" + g.names[0].substr(0, g.names[0].find('.')) +
                                " is not in this libtorch (" + TORCH_VERSION + ")");
    }
    Call call;
    GatherArgs(info, g, &call);
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
  std::string full = info[0].ToString().Utf8Value();
  size_t dot = full.find('.');
  auto handle = c10::Dispatcher::singleton().findSchema(
      {"aten::" + full.substr(0, dot), dot == std::string::npos ? "" : full.substr(dot + 1)});
  return Napi::Boolean::New(info.Env(), handle.has_value());
}

// ops.schema('name.overload'): the schema as libtorch declares it (null when absent), for tests and docs.
Napi::Value Schema(const Napi::CallbackInfo& info) {
  std::string full = info[0].ToString().Utf8Value();
  size_t dot = full.find('.');
  auto handle = c10::Dispatcher::singleton().findSchema(
      {"aten::" + full.substr(0, dot), dot == std::string::npos ? "" : full.substr(dot + 1)});
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
  exports.Set("ops", ops);
}

}  // namespace tn
