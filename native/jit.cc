// torch.jit on the native side: jit.load / loadAsync, and what ScriptModule (script_module.cc) and
// TracedFunction (traced_function.cc) share: TorchScript's error messages cut to their original line.
// Their calls read their arguments with the schema binder (schema_binder.h) and run on the JS thread or
// the libuv pool (native_object.h).
//
// TorchScript methods and graph functions may run concurrently (their executors lock their own
// compilation); what is not safe is changing the module (to(), train()) while a call runs, which lib/jit
// documents.
#include <torch/script.h>

#include <optional>
#include <sstream>

#include "common.h"
#include "entry.h"
#include "ivalue.h"
#include "jit.h"
#include "jit_internal.h"

namespace tn {

using torch::jit::IValue;
using torch::jit::Stack;

std::string JitMessage(const std::string& raw) {
  std::string msg = CleanMessage(raw);
  const std::string marker = "The following operation failed in the TorchScript interpreter.";
  if (msg.find(marker) == std::string::npos) {
    size_t nl = msg.find('\n');
    return nl == std::string::npos ? msg : msg.substr(0, nl);
  }
  size_t at = msg.rfind("\nRuntimeError: ");
  std::string tail = at == std::string::npos ? msg.substr(msg.rfind('\n') + 1) : msg.substr(at + 15);
  size_t nl = tail.find('\n');
  if (nl != std::string::npos) tail = tail.substr(0, nl);
  return tail;
}

namespace {

// load(path, device?) / loadAsync(path, device?): the path was checked to exist by lib/jit.
torch::jit::Module LoadModule(const std::string& path, const std::optional<c10::Device>& device) {
  return device ? torch::jit::load(path, *device) : torch::jit::load(path);
}

std::optional<c10::Device> DeviceArg(const Napi::CallbackInfo& info, size_t i) {
  if (!Given(info, i)) return std::nullopt;
  return ParseDevice(info.Env(), info[i].ToString());
}

std::string PathArg(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) ThrowArg(info.Env(), "jit.load", "expected a file path");
  return info[0].As<Napi::String>();
}

std::string LoadWhere(const std::string& path) { return "jit.load('" + path + "')"; }

Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info);
  return Guard(env, LoadWhere(path), [&] { return NewScriptModule(env, LoadModule(path, DeviceArg(info, 1))); }, JitMessage);
}

Napi::Value LoadAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info);
  auto device = DeviceArg(info, 1);
  auto job = [path, device]() -> Finish {
    auto object = LoadModule(path, device)._ivalue();
    return [object](Napi::Env env) { return NewScriptModule(env, torch::jit::Module(object)); };
  };
  return QueueJob(env, LoadWhere(path), std::move(job), JitMessage);
}

const Entry kJitEntries[] = {
    {"load", Load, kAsThrown},
    {"loadAsync", LoadAsync, kAsThrown},
    {"trace", Trace, kAsThrown},
};

}  // namespace

void InitJit(Napi::Env env, Napi::Object exports) {
  Napi::Object jit = Napi::Object::New(env);
  InitScriptModule(env, jit);
  InitTracedFunction(env, jit);
  Export(env, jit, kJitEntries);
  exports.Set("jit", jit);
}

}  // namespace tn
