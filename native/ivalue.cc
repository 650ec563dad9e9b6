#include "ivalue.h"

#include "common.h"
#include "tensor.h"

namespace tn {

using c10::IValue;

std::string JsTypeName(const Napi::Value& v) {
  if (Tensor::IsTensor(v)) return "Tensor";
  if (v.IsNull()) return "null";
  if (v.IsUndefined()) return "undefined";
  if (v.IsNumber()) return "number";
  if (v.IsBoolean()) return "boolean";
  if (v.IsString()) return "string";
  if (v.IsArray()) return "array";
  return "object";
}

// ---- IValue → JS ----

Napi::Value ToJs(Napi::Env env, const IValue& v, const std::string& where) {
  if (v.isTensor()) return Tensor::Wrap(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isList() || v.isTuple()) {
    std::vector<IValue> items = v.isList() ? v.toListRef().vec() : v.toTupleRef().elements().vec();
    Napi::Array out = Napi::Array::New(env, items.size());
    for (size_t i = 0; i < items.size(); ++i) out.Set(static_cast<uint32_t>(i), ToJs(env, items[i], where));
    return out;
  }
  if (v.isGenericDict()) {
    Napi::Object out = Napi::Object::New(env);
    for (const auto& entry : v.toGenericDict()) {
      const IValue& key = entry.key();
      std::string name = key.isString() ? key.toStringRef() : key.isInt() ? std::to_string(key.toInt()) : "";
      if (!key.isString() && !key.isInt()) ThrowArg(env, where, "dict keys other than str and int are not supported");
      out.Set(name, ToJs(env, entry.value(), where));
    }
    return out;
  }
  ThrowArg(env, where, "results of type " + v.type()->annotation_str() + " are not supported in JS");
}


}  // namespace tn
