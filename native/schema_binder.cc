// The one schema binder (schema_binder.h): a schema's arguments as Args, one converter per Kind, and the
// binding of a call's positional values and options object to them.
#include "schema_binder.h"

#include <ATen/ScalarOps.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <sstream>
#include <type_traits>

#include "common.h"
#include "ivalue.h"
#include "optim_lists.h"
#include "tensor.h"

namespace tn {

using c10::IValue;

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

namespace {

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

// Whether a JS value can stand for every value of `type` (Kind::Generic): the types TorchScript declares
// that JS has a form for (a Dict's keys must be strings: a JS object's keys are).
bool Walkable(const c10::TypePtr& type) {
  switch (type->kind()) {
    case c10::TypeKind::TensorType:
    case c10::TypeKind::NoneType:
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
    case c10::TypeKind::FloatType:
    case c10::TypeKind::NumberType:
    case c10::TypeKind::BoolType:
    case c10::TypeKind::StringType: return true;
    case c10::TypeKind::OptionalType: return Walkable(type->expectRef<c10::OptionalType>().getElementType());
    case c10::TypeKind::ListType: return Walkable(type->expectRef<c10::ListType>().getElementType());
    case c10::TypeKind::TupleType: {
      const auto& elems = type->expectRef<c10::TupleType>().elements();
      return std::all_of(elems.begin(), elems.end(), [](const c10::TypePtr& e) { return Walkable(e); });
    }
    case c10::TypeKind::DictType: {
      const auto& d = type->expectRef<c10::DictType>();
      return d.getKeyType()->kind() == c10::TypeKind::StringType && Walkable(d.getValueType());
    }
    default: return false;
  }
}

// ---- one converter per argument Kind ----
// Each converts a given, non-null value (BindArg handles undefined and null once, for every kind) and says
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

// A number as Python's argument parser gives it for a Tensor: a 0-dim tensor (int64, float64 or bool, as the
// Scalar is) marked as a wrapped number, so type promotion treats it as the number it was.
at::Tensor WrappedNumber(Napi::Env env, const Napi::Value& v, const char* where) {
  at::AutoDispatchBelowADInplaceOrView guard;
  at::Tensor t = c10::scalar_to_tensor(ToScalar(env, v, where));
  t.unsafeGetTensorImpl()->set_wrapped_number(true);
  return t;
}

bool ConvertTensorOrNumber(Napi::Env env, const Arg& a, const Napi::Value& v, IValue* out) {
  if (v.IsNumber() || v.IsBoolean()) {
    *out = WrappedNumber(env, v, a.name.c_str());
    return true;
  }
  return ConvertTensor(env, a, v, out);
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
bool ConvertTensorList(Napi::Env env, const Arg& a, const Napi::Value& v, IValue* out) {
  using Elem = std::conditional_t<kOptionalElems, c10::optional<at::Tensor>, at::Tensor>;
  if (!v.IsArray()) {
    // lib/optim's lists kept between steps (optim_lists.cc): taken whole, no handle unwrapped per element.
    if constexpr (!kOptionalElems) return ConvertKeptTensorList(env, v, a.where.c_str(), out);
    return false;
  }
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

// Generator and the types JS cannot give: only null (None) fits, which BindArg accepts before converting.
bool ConvertNothing(Napi::Env, const Arg&, const Napi::Value&, IValue*) { return false; }

bool ValueOfType(Napi::Env env, const Arg& a, const Napi::Value& v, const c10::TypePtr& type, IValue* out);

bool ListOfType(Napi::Env env, const Arg& a, const Napi::Value& v, const c10::ListType& type, IValue* out) {
  if (!v.IsArray()) return false;
  Napi::Array arr = v.As<Napi::Array>();
  c10::impl::GenericList list(type.getElementType());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    IValue e;
    if (!ValueOfType(env, a, arr.Get(i), type.getElementType(), &e)) return false;
    list.push_back(std::move(e));
  }
  *out = std::move(list);
  return true;
}

bool TupleOfType(Napi::Env env, const Arg& a, const Napi::Value& v, const c10::TupleType& type, IValue* out) {
  const auto& elems = type.elements();
  if (!v.IsArray() || v.As<Napi::Array>().Length() != elems.size()) return false;
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<IValue> items(elems.size());
  for (uint32_t i = 0; i < elems.size(); ++i) {
    if (!ValueOfType(env, a, arr.Get(i), elems[i], &items[i])) return false;
  }
  *out = c10::ivalue::Tuple::create(std::move(items));
  return true;
}

bool DictOfType(Napi::Env env, const Arg& a, const Napi::Value& v, const c10::DictType& type, IValue* out) {
  if (!v.IsObject() || v.IsArray() || Tensor::IsTensor(v)) return false;
  Napi::Object o = v.As<Napi::Object>();
  c10::impl::GenericDict dict(type.getKeyType(), type.getValueType());
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string key = keys.Get(i).ToString();
    IValue value;
    if (!ValueOfType(env, a, o.Get(key), type.getValueType(), &value)) return false;
    dict.insert(key, std::move(value));
  }
  *out = std::move(dict);
  return true;
}

// A value of a declared TorchScript type, walked element by element (Kind::Generic; Walkable said it can be).
bool ValueOfType(Napi::Env env, const Arg& a, const Napi::Value& v, const c10::TypePtr& type, IValue* out) {
  switch (type->kind()) {
    case c10::TypeKind::TensorType: return ConvertTensor(env, a, v, out);
    case c10::TypeKind::OptionalType:
      if (!Given(v)) return true;  // *out stays None
      return ValueOfType(env, a, v, type->expectRef<c10::OptionalType>().getElementType(), out);
    case c10::TypeKind::NoneType: return !Given(v);
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType: return ConvertInt(env, a, v, out);
    case c10::TypeKind::FloatType: return ConvertFloat(env, a, v, out);
    case c10::TypeKind::NumberType: return ConvertScalar(env, a, v, out);
    case c10::TypeKind::BoolType: return ConvertBool(env, a, v, out);
    case c10::TypeKind::StringType: return ConvertStr(env, a, v, out);
    case c10::TypeKind::ListType: return ListOfType(env, a, v, type->expectRef<c10::ListType>(), out);
    case c10::TypeKind::TupleType: return TupleOfType(env, a, v, type->expectRef<c10::TupleType>(), out);
    case c10::TypeKind::DictType: return DictOfType(env, a, v, type->expectRef<c10::DictType>(), out);
    default: return false;
  }
}

bool ConvertGeneric(Napi::Env env, const Arg& a, const Napi::Value& v, IValue* out) {
  return ValueOfType(env, a, v, a.declared, out);
}

// Indexed by Kind, in the enum's order.
constexpr Converter kConverters[] = {
    ConvertTensor,                      // Tensor
    ConvertTensorOrNumber,              // TensorOrNumber
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
    ConvertGeneric,                     // Generic
    ConvertNothing,                     // Unsupported
};
static_assert(sizeof(kConverters) / sizeof(kConverters[0]) == static_cast<size_t>(Kind::Unsupported) + 1,
              "one converter per Kind");

Arg MakeArg(const c10::Argument& a, const std::string& display, Dialect dialect) {
  bool optional = false;
  Kind kind = KindOf(a.real_type(), &optional);
  c10::TypePtr declared = a.real_type();
  if (declared->kind() == c10::TypeKind::OptionalType) declared = declared->expectRef<c10::OptionalType>().getElementType();
  bool script = dialect == Dialect::TorchScript;
  if (script && kind == Kind::Unsupported && Walkable(declared)) kind = Kind::Generic;
  if (script && declared->kind() == c10::TypeKind::NoneType) optional = true;  // null is its one value
  std::string name = script ? a.name() : Camel(a.name());
  std::string other = script ? Camel(a.name()) : a.name();
  std::string type = script ? a.real_type()->annotation_str() : a.real_type()->str();
  return Arg{name, other, type, display + "(): argument '" + name + "'", kind, optional,
             a.N() ? static_cast<int64_t>(*a.N()) : 0, a.kwarg_only(), a.default_value(),
             kConverters[static_cast<size_t>(kind)], std::move(declared)};
}

// Python's should_allow_numbers_as_tensors (torch/csrc/utils/python_arg_parser.cpp): the operators whose
// Tensor arguments also take a number. Python's list also names the `_out` functions (add_out); here an out=
// form is the same operator's `out` overload (aten::add.out), which the base name already covers.
bool AllowsNumbersAsTensors(const std::string& op) {
  static const char* const kNames[] = {
      "add", "add_", "div", "div_", "divide", "divide_", "mul", "mul_", "multiply", "multiply_", "sub", "sub_",
      "subtract", "subtract_", "true_divide", "true_divide_", "to", "_to_copy", "copy_", "floor_divide",
      "floor_divide_", "_conj"};
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* n) { return op == n; });
}

}  // namespace

ArgSchema ArgSchemaOf(const c10::FunctionSchema& schema, size_t skip, bool method, const std::string& display, Dialect dialect) {
  ArgSchema s;
  std::ostringstream sig;
  sig << "(";
  bool star = false, has_dtype = false, has_device = false;
  const auto& formals = schema.arguments();
  const std::string& qualified = schema.name();
  const bool numbers_as_tensors = dialect == Dialect::Aten && qualified.rfind("aten::", 0) == 0 &&
                                  AllowsNumbersAsTensors(qualified.substr(6));
  for (size_t i = skip; i < formals.size(); ++i) {
    Arg arg = MakeArg(formals[i], display, dialect);
    if (numbers_as_tensors && arg.kind == Kind::Tensor && !arg.optional) {
      arg.kind = Kind::TensorOrNumber;
      arg.convert = kConverters[static_cast<size_t>(Kind::TensorOrNumber)];
    }
    // PyTorch's factories (dtype and device arguments) also take requires_grad.
    if (formals[i].name() == "dtype") has_dtype = true;
    if (formals[i].name() == "device") has_device = true;
    if (!arg.kwarg_only) ++s.positional;
    if (!method || !s.args.empty()) {  // a method's self is `this`
      if (arg.kwarg_only && !star) sig << (sig.tellp() > 1 ? ", " : "") << "*", star = true;
      sig << (sig.tellp() > 1 ? ", " : "") << arg.name << ": " << arg.type << (arg.def ? "=…" : "");
    }
    s.args.push_back(std::move(arg));
  }
  sig << ")";
  s.signature = sig.str();
  s.factory = dialect == Dialect::Aten && has_dtype && has_device;
  return s;
}

bool IsOptionsObject(napi_env env, napi_value v, bool known_not_tensor) {
  // The cheap tests first: most calls end with a Tensor or a number.
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_object) return false;
  if (!known_not_tensor && Tensor::FromObject(env, v) != nullptr) return false;
  // Another native object (a ScriptModule, a kept list) is no options object either.
  void* wrapped = nullptr;
  if (napi_unwrap(env, v, &wrapped) == napi_ok && wrapped != nullptr) return false;
  bool is = false;
  if (napi_is_array(env, v, &is) != napi_ok || is) return false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || is) return false;
  return true;
}

// ---- binding one call ----

namespace {

std::string Expected(const Arg& a) {
  switch (a.kind) {
    case Kind::Tensor:
    case Kind::TensorOrNumber: return a.optional ? "a Tensor or null" : "a Tensor";  // Python's text for both
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
    case Kind::Generic: break;
    case Kind::Unsupported: return "nothing: arguments of type " + a.type + " are not supported from JS";
  }
  switch (a.declared->kind()) {
    case c10::TypeKind::ListType: return "an array (" + a.type + ")";
    case c10::TypeKind::TupleType:
      return "an array of " + std::to_string(a.declared->expectRef<c10::TupleType>().elements().size()) + " (" + a.type + ")";
    case c10::TypeKind::DictType: return "an object (" + a.type + ")";
    case c10::TypeKind::NoneType: return "null";
    default: return a.type;
  }
}

// A value as a message shows it: a string with its text (string 'float128'), a number itself (0.5, NaN,
// Infinity as JS spells them), an array with its elements' types (array [Tensor, number]), else its type.
std::string Shown(const Napi::Value& v) {
  if (v.IsString()) return "string '" + v.As<Napi::String>().Utf8Value() + "'";
  std::ostringstream s;
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    s << d;
    return s.str();
  }
  if (!v.IsArray() || Tensor::IsTensor(v)) return JsTypeName(v);
  Napi::Array arr = v.As<Napi::Array>();
  const uint32_t shown = std::min<uint32_t>(arr.Length(), 6);
  s << "array [";
  for (uint32_t i = 0; i < shown; ++i) s << (i > 0 ? ", " : "") << JsTypeName(arr.Get(i));
  s << (arr.Length() > shown ? ", …]" : "]");
  return s.str();
}

// The key an options object gives argument `a` under: its name, else its other spelling; nullptr for
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

// The known name closest to an unknown key, for "did you mean".
std::string Closest(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const std::string& name : known) {
    size_t d = std::min(EditDistance(Camel(key), name), EditDistance(key, name));
    if (d < best_d) best_d = d, best = name;
  }
  return best;
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

// Whether every key of the options object names an argument of this schema (or requiresGrad of a factory).
bool KwargsAllKnown(const ArgSchema& s, const Call& call, size_t used, Misfit* why) {
  Napi::Array keys = call.kwargs.GetPropertyNames();
  size_t extra = keys.Length() - used;
  if (s.factory && call.kwargs.Has("requiresGrad")) --extra;
  if (s.factory && call.kwargs.Has("requires_grad")) --extra;
  if (extra == 0) return true;
  for (uint32_t k = 0; k < keys.Length(); ++k) {
    std::string key = keys.Get(k).ToString();
    bool known = (key == "requiresGrad" || key == "requires_grad") && s.factory;
    for (const Arg& a : s.args) known = known || a.name == key || a.py_name == key;
    if (!known) return Refuse(why, -1, [&] { return "got an unexpected keyword argument '" + key + "'"; });
  }
  return true;
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

}  // namespace

void CheckKeys(Napi::Env env, const std::string& display, const std::vector<const ArgSchema*>& schemas, size_t skip,
               const Napi::Object& kwargs) {
  std::vector<std::string> known;
  bool factory = false;
  for (const ArgSchema* s : schemas) {
    factory = factory || s->factory;
    for (size_t i = skip; i < s->args.size(); ++i) known.push_back(s->args[i].name);
  }
  if (factory) known.push_back("requiresGrad");
  Napi::Array keys = kwargs.GetPropertyNames();
  for (uint32_t k = 0; k < keys.Length(); ++k) {
    std::string key = keys.Get(k).ToString();
    const Arg* match = nullptr;
    for (const ArgSchema* s : schemas) {
      for (size_t i = skip; i < s->args.size() && match == nullptr; ++i) {
        if (s->args[i].name == key || s->args[i].py_name == key) match = &s->args[i];
      }
    }
    if (match != nullptr && key != match->name && kwargs.Has(match->name)) {
      throw TorchError(env, display + "(): option '" + match->name + "' given twice (also as '" + key + "')");
    }
    if (match != nullptr || (factory && (key == "requiresGrad" || key == "requires_grad"))) continue;
    std::string best = Closest(key, known);
    std::string hint = best.empty() ? "; it takes no options" : "; did you mean '" + best + "'?";
    throw TorchError(env, display + "(): unknown option '" + key + "'" + hint);
  }
}

bool Bind(Napi::Env env, const ArgSchema& s, const Call& call, torch::jit::Stack& stack, Misfit* why) {
  size_t npos = call.positional.size();
  const size_t first = s.positional - 1;  // where the int list is, when s.varargs_ints
  const bool varargs = s.varargs_ints && npos > first && Napi::Value(env, call.positional[first]).IsNumber();
  c10::SmallVector<napi_value, 8> packed;
  const napi_value* pos = call.positional.data();
  if (varargs) {
    PackVarargs(env, call, first, &packed);
    pos = packed.data();
    npos = first + 1;
  } else if (npos > s.positional) {
    return Refuse(why, -1, [&] {
      return "takes at most " + std::to_string(s.positional) + " positional arguments but " + std::to_string(npos) + " were given";
    });
  }
  size_t used_kwargs = 0;
  for (size_t i = 0; i < s.args.size(); ++i) {
    const Arg& a = s.args[i];
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
  return !call.has_kwargs || KwargsAllKnown(s, call, used_kwargs, why);
}

namespace {

// Whether a trailing plain object at position `at` holds keyword arguments: always, unless the argument there
// takes a dict (which a JS object gives); then only when it is not empty and each key names an argument from
// `at` on (weigh(x, {weights: {a: 1}}) for weigh(Tensor x, Dict[str, float] weights)).
bool HoldsKeywords(const ArgSchema& s, size_t at, const Napi::Object& object) {
  if (at >= s.positional || s.args[at].declared->kind() != c10::TypeKind::DictType) return true;
  Napi::Array keys = object.GetPropertyNames();
  bool all = keys.Length() > 0;
  for (uint32_t k = 0; k < keys.Length() && all; ++k) {
    std::string key = keys.Get(k).ToString();
    all = std::any_of(s.args.begin() + at, s.args.end(), [&](const Arg& a) { return a.name == key || a.py_name == key; });
  }
  return all;
}

}  // namespace

torch::jit::Stack BindInputs(Napi::Env env, const ArgSchema& s, const Napi::Array& inputs, const std::string& display) {
  Call call;
  uint32_t n = inputs.Length();
  while (n > 0 && inputs.Get(n - 1).IsUndefined()) --n;
  if (n > 0) {
    Napi::Value last = inputs.Get(n - 1);
    if (IsOptionsObject(env, last) && HoldsKeywords(s, n - 1, last.As<Napi::Object>())) {
      call.kwargs = last.As<Napi::Object>();
      call.has_kwargs = true;
      --n;
      CheckKeys(env, display, {&s}, 0, call.kwargs);
    }
  }
  for (uint32_t i = 0; i < n; ++i) call.positional.push_back(inputs.Get(i));
  torch::jit::Stack stack;
  Misfit why;
  if (!Bind(env, s, call, stack, &why)) throw TorchError(env, display + "(): " + why.what);
  return stack;
}

std::vector<at::Tensor> TensorsFromJs(Napi::Env env, const Napi::Value& v, const std::string& display, const std::string& name) {
  const Kind kind = Kind::TensorList;
  Arg a{name, name, "Tensor[]", display + "(): argument '" + name + "'", kind, false, 0, false, c10::nullopt,
        kConverters[static_cast<size_t>(kind)], nullptr};
  torch::jit::Stack stack;
  Misfit why;
  if (!BindArg(env, a, 0, Given(v) ? v : env.Null(), stack, &why)) throw TorchError(env, display + "(): " + why.what);
  return stack[0].toTensorVector();
}

void Call::Add(napi_env env, napi_value v) {
  napi_valuetype type = napi_undefined;
  napi_typeof(env, v, &type);
  positional.push_back(v);
  types.push_back(type);
  tensors.push_back(type == napi_object ? Tensor::FromObject(env, v) : nullptr);
}

void Call::AddKnown(napi_env env, napi_value v, Tensor* t) {
  napi_valuetype type = napi_object;
  if (t == nullptr) napi_typeof(env, v, &type);
  positional.push_back(v);
  types.push_back(type);
  tensors.push_back(t);
}

void Call::AddSelf(napi_env env, napi_value self) {
  Tensor* t = Tensor::FromObject(env, self);
  if (t == nullptr) return Add(env, self);
  positional.push_back(self);
  types.push_back(napi_object);
  tensors.push_back(t);
}

void Call::PopBack() {
  positional.pop_back();
  types.pop_back();
  tensors.pop_back();
}

}  // namespace tn
