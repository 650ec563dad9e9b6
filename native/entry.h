// The one path from a C++ exception to a JS TorchError. Exported functions are registered from tables of
// {name, fn} and run inside CallEntry's try/catch; class methods are registered with DefineMethods and
// Method<T, &T::Fn>, which run them inside the same try/catch; constructors and accessors (which node-addon-api calls
// through member pointers) wrap their bodies in Guard. All of them end in RethrowAsTorchError, so
// libtorch's exceptions become TorchErrors that start with the function's name. A new function is one
// table line; its body needs no try/catch of its own.
#pragma once
#include <napi.h>

#include <cstddef>
#include <initializer_list>
#include <string>

namespace tn {

struct Entry {
  const char* name;  // the export's name
  Napi::Value (*fn)(const Napi::CallbackInfo& info);
  const char* where = nullptr;  // the name messages use, when it is not the export's (fromTypedArray: 'tensor')
};

// An Entry's `where` for functions whose libtorch messages pass unprefixed, as their hand-written
// TN_TRY/TN_CATCH bodies did before they moved into tables (their argument errors name them already).
constexpr const char* kAsThrown = "";

// A JS TorchError (also declared in common.h).
Napi::Error TorchError(Napi::Env env, const std::string& message);

// How a libtorch message is cleaned before `where` goes in front: CleanMessage (common.h) drops c10's
// backtraces; jit's JitMessage also keeps only a TorchScript error's original line.
using Cleaner = std::string (*)(const std::string&);

// The message of the exception being handled, cleaned; a Napi::Error's message as it is. Call only inside
// a catch block (workers use it to reject a promise later, on the JS thread).
std::string CurrentMessage(Cleaner clean = nullptr);

// Turns the exception being handled into a TorchError: TorchErrors pass unchanged, libtorch's and the
// standard library's messages get `where` in front (none when it is kAsThrown). Call only inside a catch block.
[[noreturn]] void RethrowAsTorchError(Napi::Env env, const std::string& where, Cleaner clean = nullptr);

// Runs body() and returns what it returns; an exception becomes a TorchError as in the tables.
template <typename Body>
auto Guard(Napi::Env env, const std::string& where, Body&& body, Cleaner clean = nullptr) -> decltype(body()) {
  try {
    return body();
  } catch (...) {
    RethrowAsTorchError(env, where, clean);
  }
}

// A class method on the prototype, called through the same try/catch as the tables: `this` is unwrapped
// as ObjectWrap's own InstanceMethod does, and a call on an object that wraps nothing is a TorchError.
template <typename T, Napi::Value (T::*Fn)(const Napi::CallbackInfo&)>
Napi::Value CallMethod(const Napi::CallbackInfo& info) {
  const char* name = static_cast<const char*>(info.Data());
  try {
    // As ObjectWrap's own InstanceMethod: the wrapped pointer, unchecked beyond being a wrapped object.
    void* self = nullptr;
    if (!info.This().IsObject() || napi_unwrap(info.Env(), info.This(), &self) != napi_ok) self = nullptr;
    if (self == nullptr) throw TorchError(info.Env(), std::string(name) + ": called on a value that is not its object");
    return (static_cast<T*>(self)->*Fn)(info);
  } catch (...) {
    RethrowAsTorchError(info.Env(), kAsThrown);
  }
}

// target[entry.name] = a function calling entry.fn through the wrapper, for each entry (static storage).
void Export(Napi::Env env, Napi::Object target, const Entry* entries, size_t count);
template <size_t N>
void Export(Napi::Env env, Napi::Object target, const Entry (&entries)[N]) {
  Export(env, target, entries, N);
}

// Class methods for DefineMethods: Method<T, &T::Fn>("name"). (V8 keeps only primitives in a class
// template, so they are set on the prototype after DefineClass, as functions through CallMethod.)
struct MethodEntry {
  const char* name;
  Napi::Value (*fn)(const Napi::CallbackInfo& info);
};
template <typename T, Napi::Value (T::*Fn)(const Napi::CallbackInfo&)>
constexpr MethodEntry Method(const char* name) {
  return {name, CallMethod<T, Fn>};
}

// ctor.prototype[m.name] = a function calling m.fn, for each method (non-enumerable, as class methods).
// The names must have static storage.
void DefineMethods(Napi::Env env, Napi::Function ctor, std::initializer_list<MethodEntry> methods);

}  // namespace tn
