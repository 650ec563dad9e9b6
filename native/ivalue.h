// IValues as JS values, the results of libtorch's boxed calls: shared by the generic operator call (ops.cc)
// and TorchScript calls (script_module.cc, traced_function.cc). The other way, JS values read by a schema's
// declared types, is the schema binder's (schema_binder.h).
#pragma once
#include <ATen/core/ivalue.h>
#include <napi.h>

#include <string>

namespace tn {

// What a JS value is, in the words error messages use: "Tensor", "number", "string", "array" …
std::string JsTypeName(const Napi::Value& v);

// An IValue as a JS value: Tensors become handles registered in the current tidy scope, tuples and lists
// arrays, dicts objects, None null.
Napi::Value ToJs(Napi::Env env, const c10::IValue& v, const std::string& where);

}  // namespace tn
