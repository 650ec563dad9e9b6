#include "entry.h"

#include <torch/torch.h>

#include <string>

#include "common.h"

namespace tn {

std::string CurrentMessage(Cleaner clean) {
  if (clean == nullptr) clean = CleanMessage;
  try {
    throw;
  } catch (const Napi::Error& e) {
    return e.Message();
  } catch (const c10::Error& e) {
    return clean(e.what_without_backtrace());
  } catch (const std::exception& e) {
    return clean(e.what());
  } catch (...) {
    return "unknown C++ exception";
  }
}

void RethrowAsTorchError(Napi::Env env, const std::string& where, Cleaner clean) {
  const std::string prefix = where.empty() ? std::string() : where + ": ";
  try {
    throw;
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw TorchError(env, prefix + (clean ? clean : CleanMessage)(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    // The standard library's messages are one clean line already; a jit cleaner still applies.
    throw TorchError(env, prefix + (clean ? clean(e.what()) : std::string(e.what())));
  } catch (...) {
    throw TorchError(env, prefix + "unknown C++ exception");
  }
}

namespace {
Napi::Value CallEntry(const Napi::CallbackInfo& info) {
  const Entry* entry = static_cast<const Entry*>(info.Data());
  try {
    return entry->fn(info);
  } catch (...) {
    RethrowAsTorchError(info.Env(), entry->where ? entry->where : entry->name);
  }
}
}  // namespace

void Export(Napi::Env env, Napi::Object target, const Entry* entries, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const Entry& e = entries[i];
    target.Set(e.name, Napi::Function::New(env, CallEntry, e.name, const_cast<Entry*>(&e)));
  }
}

void DefineMethods(Napi::Env env, Napi::Function ctor, std::initializer_list<MethodEntry> methods) {
  Napi::Object proto = ctor.Get("prototype").As<Napi::Object>();
  for (const MethodEntry& m : methods) {
    Napi::Function fn = Napi::Function::New(env, m.fn, m.name, const_cast<char*>(m.name));
    proto.DefineProperty(Napi::PropertyDescriptor::Value(m.name, fn, napi_writable));
  }
}

}  // namespace tn
