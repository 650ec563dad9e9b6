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


namespace {

// ---- JS → IValue, guided by the method's declared argument type ----


[[noreturn]] void Mismatch(Napi::Env env, const std::string& where, const c10::TypePtr& type, const Napi::Value& v) {
  ThrowArg(env, where, "expected " + type->annotation_str() + ", got " + JsTypeName(v));
}

IValue ListFromJs(Napi::Env env, const Napi::Value& v, const c10::ListTypePtr& type, const std::string& where) {
  if (!v.IsArray()) Mismatch(env, where, type, v);
  Napi::Array a = v.As<Napi::Array>();
  c10::impl::GenericList list(type->getElementType());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    list.push_back(FromJs(env, a.Get(i), type->getElementType(), where + "[" + std::to_string(i) + "]"));
  }
  return list;
}

IValue TupleFromJs(Napi::Env env, const Napi::Value& v, const c10::TupleTypePtr& type, const std::string& where) {
  const auto& elems = type->elements();
  if (!v.IsArray() || v.As<Napi::Array>().Length() != elems.size()) {
    ThrowArg(env, where, "expected " + type->annotation_str() + " (an array of " + std::to_string(elems.size()) +
                             "), got " + JsTypeName(v));
  }
  Napi::Array a = v.As<Napi::Array>();
  std::vector<IValue> items;
  for (uint32_t i = 0; i < elems.size(); ++i) {
    items.push_back(FromJs(env, a.Get(i), elems[i], where + "[" + std::to_string(i) + "]"));
  }
  return c10::ivalue::Tuple::create(std::move(items));
}

IValue DictFromJs(Napi::Env env, const Napi::Value& v, const c10::DictTypePtr& type, const std::string& where) {
  if (!v.IsObject() || v.IsArray() || Tensor::IsTensor(v) || type->getKeyType()->kind() != c10::TypeKind::StringType) {
    Mismatch(env, where, type, v);
  }
  Napi::Object o = v.As<Napi::Object>();
  c10::impl::GenericDict dict(type->getKeyType(), type->getValueType());
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string key = keys.Get(i).ToString();
    dict.insert(key, FromJs(env, o.Get(key), type->getValueType(), where + "." + key));
  }
  return dict;
}

}  // namespace

IValue FromJs(Napi::Env env, const Napi::Value& v, const c10::TypePtr& type, const std::string& where) {
  switch (type->kind()) {
    case c10::TypeKind::TensorType:
      if (!Tensor::IsTensor(v)) Mismatch(env, where, type, v);
      return Tensor::Get(env, v, where.c_str());
    case c10::TypeKind::OptionalType:
      if (!Given(v)) return IValue();
      return FromJs(env, v, type->expectRef<c10::OptionalType>().getElementType(), where);
    case c10::TypeKind::NoneType:
      if (Given(v)) Mismatch(env, where, type, v);
      return IValue();
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
      if (!v.IsNumber()) Mismatch(env, where, type, v);
      return ToInt(env, v, where.c_str());
    case c10::TypeKind::FloatType:
      if (!v.IsNumber()) Mismatch(env, where, type, v);
      return v.As<Napi::Number>().DoubleValue();
    case c10::TypeKind::NumberType:
      if (!v.IsNumber()) Mismatch(env, where, type, v);
      return v.As<Napi::Number>().DoubleValue();
    case c10::TypeKind::BoolType:
      if (!v.IsBoolean()) Mismatch(env, where, type, v);
      return v.As<Napi::Boolean>().Value();
    case c10::TypeKind::StringType:
      if (!v.IsString()) Mismatch(env, where, type, v);
      return v.As<Napi::String>().Utf8Value();
    case c10::TypeKind::ListType:
      return ListFromJs(env, v, type->expect<c10::ListType>(), where);
    case c10::TypeKind::TupleType:
      return TupleFromJs(env, v, type->expect<c10::TupleType>(), where);
    case c10::TypeKind::DictType:
      return DictFromJs(env, v, type->expect<c10::DictType>(), where);
    default:
      ThrowArg(env, where, "arguments of type " + type->annotation_str() + " are not supported from JS");
  }
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
