#include "entry.h"

#include <torch/torch.h>

#include <string>

#include "common.h"

namespace tn {

void RethrowAsTorchError(Napi::Env env, const char* where) {
  const std::string prefix = *where ? std::string(where) + ": " : std::string();
  try {
    throw;
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw TorchError(env, prefix + CleanMessage(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw TorchError(env, prefix + e.what());
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

}  // namespace tn
