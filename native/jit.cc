// torch.jit on the native side: jit.load / loadAsync, and what ScriptModule (script_module.cc) and
// TracedFunction (traced_function.cc) share: reading a call's arguments by its schema, and TorchScript's
// error messages cut to their original line. Calls run on the libuv pool through worker.h.
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

Stack ArgsFromJs(Napi::Env env, const c10::FunctionSchema& schema, size_t skip, const Napi::Array& args,
                 const std::string& where) {
  const auto& formals = schema.arguments();
  size_t max = formals.size() - skip, min = 0;
  std::ostringstream decl;
  for (size_t i = skip; i < formals.size(); ++i) {
    if (!formals[i].default_value()) min = i - skip + 1;
    decl << (i > skip ? ", " : "") << formals[i].name() << ": " << formals[i].type()->annotation_str();
  }
  size_t n = args.Length();
  if (n < min || n > max) {
    std::string want = min == max ? std::to_string(max) : std::to_string(min) + " to " + std::to_string(max);
    ThrowArg(env, where, "expected " + want + (max == 1 ? " input" : " inputs") + " (" + decl.str() + "), got " +
                             std::to_string(n));
  }
  Stack stack;
  for (size_t i = 0; i < n; ++i) {
    const auto& formal = formals[i + skip];
    stack.push_back(FromJs(env, args.Get(i), formal.type(), where + ": input " + std::to_string(i) + " (" + formal.name() + ")"));
  }
  for (size_t i = n + skip; i < formals.size(); ++i) stack.push_back(*formals[i].default_value());
  return stack;
}

Finish FinishValue(IValue v) {
  return [v = std::move(v)](Napi::Env env) { return ToJs(env, v, "result"); };
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
