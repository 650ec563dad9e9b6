// JS values <-> IValues, the currency of libtorch's boxed calls: shared by the TorchScript methods
// (jit.cc), which convert by a method's declared types, and the generic operator call (ops.cc).
#pragma once
#include <ATen/core/ivalue.h>
#include <napi.h>

#include <string>

namespace tn {

// What a JS value is, in the words error messages use: "Tensor", "number", "string", "array" …
std::string JsTypeName(const Napi::Value& v);

// A JS value as an IValue of the declared `type`; a value of another type is a TorchError naming `where`.
c10::IValue FromJs(Napi::Env env, const Napi::Value& v, const c10::TypePtr& type, const std::string& where);

// An IValue as a JS value: Tensors become handles registered in the current tidy scope, tuples and lists
// arrays, dicts objects, None null.
Napi::Value ToJs(Napi::Env env, const c10::IValue& v, const std::string& where);

}  // namespace tn
