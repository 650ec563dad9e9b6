// The one schema binder: JS values read by a libtorch FunctionSchema into the IValues of a boxed call.
// The generic operator call (ops.cc: every ATen op, several overloads tried in turn), TorchScript methods
// and traced graphs (script_module.cc, traced_function.cc) and AOTInductor packages (aoti.cc: a flat list
// of tensors) all read their arguments here, so they accept the same values and refuse the rest with the
// same messages: "Tensor.add(): argument 'other' must be a Tensor, not string 'a'".
//
// A schema's arguments are turned once into Args (a Kind and its converter each), so a call only runs
// the converters. Arguments come by position, or by name in a trailing plain object (Python's keyword
// arguments); undefined is "not given" (the default), null is None.
#pragma once
#include <ATen/core/function_schema.h>
#include <ATen/core/stack.h>
#include <c10/util/SmallVector.h>
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tn {

// The argument types JS can give, decided once per argument so a call switches on nothing. Generic: the
// other TorchScript types (tuples, dicts, nested lists, str[]), converted by walking the declared type;
// the generic operator call never uses it (ATen schemas have none of them that JS can give).
// TensorOrNumber: a Tensor argument that also takes a number, made a wrapped-number tensor as Python's argument
// parser does for add, sub, mul, div and a few more (should_allow_numbers_as_tensors): x.mul(2) calls mul.Tensor.
enum class Kind {
  Tensor, TensorOrNumber, TensorList, OptTensorList, Scalar, Int, IntList, Float, FloatList, Bool, BoolList, Str,
  ScalarType, Layout, Device, MemoryFormat, Generator, Generic, Unsupported
};

class Tensor;
struct Arg;

// Converts one given, non-null JS value for argument `a`; false when its JS type does not fit the kind.
using Converter = bool (*)(Napi::Env env, const Arg& a, const Napi::Value& v, c10::IValue* out);

struct Arg {
  std::string name;     // the name messages use and an options object gives: camelCase for ATen, as declared for TorchScript
  std::string py_name;  // the other spelling an options object may use (keepdim, scale_factor; scaleFactor for TorchScript)
  std::string type;     // the schema's type, for messages
  std::string where;    // "torch.add(): argument 'other'", for a disposed Tensor's message
  Kind kind;
  bool optional;        // T?: null/undefined is None
  int64_t size;         // int[2]: a single integer is accepted and repeated
  bool kwarg_only;
  c10::optional<c10::IValue> def;
  Converter convert;    // by kind
  c10::TypePtr declared;  // the type without Optional, for Kind::Generic
};

// The arguments of one schema as a JS call gives them.
struct ArgSchema {
  std::vector<Arg> args;
  size_t positional = 0;      // arguments that may be given by position
  bool factory = false;       // has dtype/layout/device: admits requiresGrad as PyTorch's factories do
  bool varargs_ints = false;  // view(2, 3) for view(int[] size): the only positional is an int list
  std::string signature;      // "(other: Tensor, *, alpha: Scalar=…)", for "expected one of" messages
};

// How ArgSchemaOf names and types the arguments.
enum class Dialect {
  Aten,        // camelCase names (PyTorch's accepted too), the schema's type names (int[], SymInt)
  TorchScript  // the declared names (camelCase accepted too), Python's annotations (List[int]), every type
};

// The arguments of `schema` from `skip` on (a TorchScript method's self is its module); `display` names
// the function in messages ("torch.add", "Gate.forward"). For a method whose self is `this` (Tensor.add),
// skip is 0 and the signature leaves self out when `method`.
ArgSchema ArgSchemaOf(const c10::FunctionSchema& schema, size_t skip, bool method, const std::string& display, Dialect dialect);

// The arguments of one call: positional values, and the trailing options object (Python's keyword arguments).
struct Call {
  c10::SmallVector<napi_value, 8> positional;  // self first for a method; no allocation for up to 8
  // Each positional's JS type and, for a Tensor, its handle: read once per call (Add), since every
  // Node-API type test and unwrap is a call into V8 (an unwrap is a property lookup, ~800 instructions)
  // and the overloads tried would otherwise repeat them. Filled by the generic op call (ops.cc) only.
  c10::SmallVector<napi_valuetype, 8> types;
  c10::SmallVector<Tensor*, 8> tensors;        // nullptr: not a Tensor
  Napi::Object kwargs;                         // empty when none
  bool has_kwargs = false;
  bool requires_grad = false;
  napi_value result_object = nullptr;  // lib/ops.ts's wrapper's object for a Tensor result (tensor.h)

  void Add(napi_env env, napi_value v);
  // Add for a value whose handle the caller already knows (`t`; nullptr: the value is no Tensor).
  void AddKnown(napi_env env, napi_value v, Tensor* t);
  // A method's `this`, nearly always a Tensor: its unwrap (which tests for an object itself) says so
  // without a type test first.
  void AddSelf(napi_env env, napi_value self);
  void PopBack();
};

// Why a call does not fit a schema: the argument's index and what was wrong; arg < 0 for a count problem.
struct Misfit {
  int arg = -2;  // -2: fits
  std::string what;
  bool ok() const { return arg == -2; }
};

// Python's keyword arguments: a trailing plain object. A Tensor, another native object, an array, a typed
// array or a function is a positional value instead. `known_not_tensor`: the caller already looked the
// value up as a Tensor (the op call's record), so the lookup is not repeated.
bool IsOptionsObject(napi_env env, napi_value v, bool known_not_tensor = false);

// Every key of an options object must name an argument of one of `schemas` (from `skip` on): an unknown
// one is a TorchError naming the closest known key, never silently ignored.
void CheckKeys(Napi::Env env, const std::string& display, const std::vector<const ArgSchema*>& schemas, size_t skip,
               const Napi::Object& kwargs);

// Fills `stack` from the call for one schema; false when it does not fit, and then, when `why` is given,
// says why there. Overloads are tried with `why` null: a misfit costs no message until no overload fits.
bool Bind(Napi::Env env, const ArgSchema& s, const Call& call, torch::jit::Stack& stack, Misfit* why);

// A TorchScript call's inputs: `inputs` is the JS argument list, a trailing plain object its keyword arguments
// (unless the argument at its place takes a dict, which a JS object gives, and the object's keys do not all
// name arguments from there on). A misfit is a TorchError "<display>(): argument 'x' must be a Tensor, not 3".
torch::jit::Stack BindInputs(Napi::Env env, const ArgSchema& s, const Napi::Array& inputs, const std::string& display);

// A flat list of tensors (an AOTInductor package's inputs), converted as a Tensor[] argument named `name`.
std::vector<at::Tensor> TensorsFromJs(Napi::Env env, const Napi::Value& v, const std::string& display, const std::string& name);

// A name in camelCase: scale_factor → scaleFactor (a leading or trailing _ stays).
std::string Camel(const std::string& s);

}  // namespace tn
