// ScriptModule: a TorchScript module (torch::jit::load) as a JS object: its methods called by name with
// arguments read by their declared types (on the JS thread or the libuv pool), its parameters, buffers and
// state dict in Python's order, train()/eval(), to(), dispose().
#include <torch/script.h>

#include <optional>
#include <sstream>

#include "common.h"
#include "entry.h"
#include "ivalue.h"
#include "jit_internal.h"
#include "native_object.h"
#include "schema_binder.h"
#include "tensor.h"

namespace tn {

using torch::jit::IValue;
using torch::jit::Stack;

namespace {

class ScriptModule : public NativeObject<ScriptModule, std::optional<torch::jit::Module>> {
 public:
  static void Init(Napi::Env env, Napi::Object target) {
    Accessors accessors = {
        InstanceAccessor<&ScriptModule::Training>("training"),
        InstanceAccessor<&ScriptModule::IsDisposed>("isDisposed"),
        InstanceAccessor<&ScriptModule::TypeName>("typeName"),
    };
    target.Set("ScriptModule", Define(env, "ScriptModule", accessors, {
        Method<ScriptModule, &ScriptModule::RunMethod>("runMethod"),
        Method<ScriptModule, &ScriptModule::RunMethodAsync>("runMethodAsync"),
        Method<ScriptModule, &ScriptModule::MethodNames>("methodNames"),
        Method<ScriptModule, &ScriptModule::MethodSchema>("methodSchema"),
        Method<ScriptModule, &ScriptModule::NamedParameters>("namedParameters"),
        Method<ScriptModule, &ScriptModule::NamedBuffers>("namedBuffers"),
        Method<ScriptModule, &ScriptModule::StateDict>("stateDict"),
        Method<ScriptModule, &ScriptModule::Train>("train"),
        Method<ScriptModule, &ScriptModule::To>("to"),
        Method<ScriptModule, &ScriptModule::Dispose>("dispose"),
    }));
  }

  explicit ScriptModule(const Napi::CallbackInfo& info) : NativeObject(info, "jit.load()") {}

 private:
  // held_: the module; dispose() empties it.

  torch::jit::Module& Mod(Napi::Env env, const char* where) {
    if (!held_) ThrowArg(env, where, "the module was disposed");
    return *held_;
  }

  torch::jit::Method FindMethod(Napi::Env env, const std::string& name) {
    auto method = Mod(env, name.c_str()).find_method(name);
    if (!method) {
      std::string names;
      for (const auto& m : held_->get_methods()) names += (names.empty() ? "" : ", ") + m.name();
      ThrowArg(env, name, "the module has no method '" + name + "' (it has: " + names + ")");
    }
    return *method;
  }

  // runMethod(name, inputs[]) / runMethodAsync(name, inputs[]): the method's inputs bound by its schema (a
  // trailing object: keyword arguments), run now or on the pool. Messages name it as Python's class and
  // method: "Gate.forward(): argument 'x' must be a Tensor, not 3". The Method holds the module's object,
  // so the module lives until an async call ends even if disposed.
  Napi::Value Run(const Napi::CallbackInfo& info, bool async) {
    Napi::Env env = info.Env();
    if (!info[0].IsString() || !info[1].IsArray()) ThrowArg(env, async ? "runMethodAsync" : "runMethod", "expected (name, inputs[])");
    std::string name = info[0].As<Napi::String>().Utf8Value();
    torch::jit::Method method = FindMethod(env, name);
    std::string display = Mod(env, name.c_str()).type()->name()->name() + "." + name;
    auto prepare = [&] {
      ArgSchema schema = ArgSchemaOf(method.function().getSchema(), 1, false, display, Dialect::TorchScript);
      Stack args = BindInputs(env, schema, info[1].As<Napi::Array>(), display);
      return [method, args]() mutable { return method(std::move(args)); };
    };
    auto to_js = [display](Napi::Env env, const IValue& result) { return ToJs(env, result, display + "()"); };
    return RunCall(env, display + "()", async, JitMessage, prepare, to_js);
  }

  Napi::Value RunMethod(const Napi::CallbackInfo& info) { return Run(info, false); }
  Napi::Value RunMethodAsync(const Napi::CallbackInfo& info) { return Run(info, true); }

  Napi::Value MethodNames(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto methods = Mod(env, "methodNames").get_methods();
    Napi::Array out = Napi::Array::New(env, methods.size());
    for (size_t i = 0; i < methods.size(); ++i) out.Set(static_cast<uint32_t>(i), methods[i].name());
    return out;
  }

  // The declaration as TorchScript prints it: "forward(__torch__.Net self, Tensor x) -> Tensor".
  Napi::Value MethodSchema(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) ThrowArg(env, "methodSchema", "expected a method name");
    std::ostringstream s;
    s << FindMethod(env, info[0].As<Napi::String>()).function().getSchema();
    return Napi::String::New(env, s.str());
  }

  Napi::Value Pairs(Napi::Env env, const std::vector<std::pair<std::string, at::Tensor>>& items) {
    Napi::Array out = Napi::Array::New(env, items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, items[i].first);
      pair.Set(1u, Tensor::Wrap(env, items[i].second));
      out.Set(static_cast<uint32_t>(i), pair);
    }
    return out;
  }

  Napi::Value NamedParameters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<std::pair<std::string, at::Tensor>> items;
    for (const auto& p : Mod(env, "namedParameters").named_parameters(ToBool(info[0], true))) items.emplace_back(p.name, p.value);
    return Pairs(env, items);
  }

  Napi::Value NamedBuffers(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<std::pair<std::string, at::Tensor>> items;
    for (const auto& b : Mod(env, "namedBuffers").named_buffers(ToBool(info[0], true))) items.emplace_back(b.name, b.value);
    return Pairs(env, items);
  }

  // Python's order: each module (pre-order) contributes its parameters, then its buffers.
  Napi::Value StateDict(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<std::pair<std::string, at::Tensor>> items;
    for (const auto& m : Mod(env, "stateDict").named_modules()) {
      std::string prefix = m.name.empty() ? "" : m.name + ".";
      for (const auto& p : m.value.named_parameters(false)) items.emplace_back(prefix + p.name, p.value);
      for (const auto& b : m.value.named_buffers(false)) items.emplace_back(prefix + b.name, b.value);
    }
    return Pairs(env, items);
  }

  Napi::Value Train(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Mod(env, "train").train(ToBool(info[0], true));
    return env.Undefined();
  }

  // Accessors are called through member pointers: Guard gives them the tables' try/catch.
  Napi::Value Training(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return Guard(env, kAsThrown, [&] { return Napi::Boolean::New(env, Mod(env, "training").is_training()); });
  }

  // to(device?, dtype?): either may be null.
  Napi::Value To(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    torch::jit::Module& m = Mod(env, "to");
    bool has_device = Given(info, 0), has_dtype = Given(info, 1);
    if (has_device && has_dtype) {
      m.to(ParseDevice(env, info[0].ToString()), ParseDtype(env, info[1].ToString()));
    } else if (has_device) {
      m.to(ParseDevice(env, info[0].ToString()));
    } else if (has_dtype) {
      m.to(ParseDtype(env, info[1].ToString()));
    }
    return env.Undefined();
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    held_.reset();
    return info.Env().Undefined();
  }

  Napi::Value IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !held_); }

  Napi::Value TypeName(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return Guard(env, kAsThrown, [&] { return Napi::String::New(env, Mod(env, "typeName").type()->name()->qualifiedName()); });
  }
};

}  // namespace

void InitScriptModule(Napi::Env env, Napi::Object target) { ScriptModule::Init(env, target); }

Napi::Value NewScriptModule(Napi::Env env, torch::jit::Module module) { return ScriptModule::Create(env, std::move(module)); }

}  // namespace tn
