// One wrapper for the addon's exported functions: each is registered from a table of {name, fn}, and
// CallEntry runs it inside the one try/catch, so libtorch's exceptions become TorchErrors that start
// with the function's name. A new function is one table line; its body needs no try/catch of its own.
#pragma once
#include <napi.h>

#include <cstddef>

namespace tn {

struct Entry {
  const char* name;  // the export's name
  Napi::Value (*fn)(const Napi::CallbackInfo& info);
  const char* where = nullptr;  // the name messages use, when it is not the export's (fromTypedArray: 'tensor')
};

// An Entry's `where` for functions whose libtorch messages pass unprefixed, as their hand-written
// TN_TRY/TN_CATCH bodies did before they moved into tables (their argument errors name them already).
constexpr const char* kAsThrown = "";

// Turns the exception being handled into a TorchError: TorchErrors pass unchanged, libtorch's and the
// standard library's messages get `where` in front (none when it is kAsThrown). Call only inside a catch block.
[[noreturn]] void RethrowAsTorchError(Napi::Env env, const char* where);

// target[entry.name] = a function calling entry.fn through the wrapper, for each entry (static storage).
void Export(Napi::Env env, Napi::Object target, const Entry* entries, size_t count);
template <size_t N>
void Export(Napi::Env env, Napi::Object target, const Entry (&entries)[N]) {
  Export(env, target, entries, N);
}

}  // namespace tn
