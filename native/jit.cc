// torch.jit on the native side: TorchScript modules loaded with torch::jit::load (ScriptModule), graphs
// traced from our own modules (TracedFunction), and their calls on the libuv pool (worker.h).
//
// Threads: a worker thread only runs libtorch code on at::Tensors and IValues. JS values are read into
// IValues before the worker is queued and results are wrapped into JS Tensors in OnOK, on the JS
// thread, so tidy scopes and the tensor registry are only ever touched there. TorchScript methods and
// graph functions may run concurrently (their executors lock their own compilation); what is not safe
// is changing the module (to(), train()) while a call runs, which lib/jit documents.
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/script.h>

#include <functional>
#include <optional>
#include <sstream>

#include "common.h"
#include "ivalue.h"
#include "jit.h"
#include "tensor.h"
#include "worker.h"

namespace tn {

namespace {

using torch::jit::IValue;
using torch::jit::Stack;

// TorchScript runtime errors carry the script's traceback over many lines, ending in the original
// error ("RuntimeError: ..."). One line: the original error, without its traceback.
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

#define TN_JIT_CATCH(env, where)                                                   \
  }                                                                                \
  catch (const Napi::Error&) { throw; }                                            \
  catch (const c10::Error& e) {                                                    \
    throw ::tn::TorchError(env, std::string(where) + ": " + JitMessage(e.what_without_backtrace())); \
  }                                                                                \
  catch (const std::exception& e) { throw ::tn::TorchError(env, std::string(where) + ": " + JitMessage(e.what())); }

// The arguments of `fn` (self excluded for a method) read from JS values, with the count checked
// against the declaration: "forward: expected 1 input (x: Tensor), got 2".
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

// ---- the pool worker (worker.h) ----

Napi::Value Queue(Napi::Env env, std::string where, PoolWorker::Job job, PoolWorker::Finish finish) {
  return QueuePoolJob(env, std::move(where), std::move(job), std::move(finish), JitMessage);
}

Napi::Value FinishValue(Napi::Env env, IValue& v) { return ToJs(env, v, "result"); }

// ---- ScriptModule ----

class ScriptModule : public Napi::ObjectWrap<ScriptModule> {
 public:
  // One constructor per JS thread (each worker_thread has its own environment).
  static thread_local Napi::FunctionReference* ctor;

  static void Init(Napi::Env env, Napi::Object target) {
    Napi::Function fn = DefineClass(env, "ScriptModule",
                                    {
                                        InstanceMethod<&ScriptModule::RunMethod>("runMethod"),
                                        InstanceMethod<&ScriptModule::RunMethodAsync>("runMethodAsync"),
                                        InstanceMethod<&ScriptModule::MethodNames>("methodNames"),
                                        InstanceMethod<&ScriptModule::MethodSchema>("methodSchema"),
                                        InstanceMethod<&ScriptModule::NamedParameters>("namedParameters"),
                                        InstanceMethod<&ScriptModule::NamedBuffers>("namedBuffers"),
                                        InstanceMethod<&ScriptModule::StateDict>("stateDict"),
                                        InstanceMethod<&ScriptModule::Train>("train"),
                                        InstanceAccessor<&ScriptModule::Training>("training"),
                                        InstanceMethod<&ScriptModule::To>("to"),
                                        InstanceMethod<&ScriptModule::Dispose>("dispose"),
                                        InstanceAccessor<&ScriptModule::IsDisposed>("isDisposed"),
                                        InstanceAccessor<&ScriptModule::TypeName>("typeName"),
                                    });
    ctor = new Napi::FunctionReference(Napi::Persistent(fn));
    env.AddCleanupHook([]() {
      delete ctor;
      ctor = nullptr;
    });
    target.Set("ScriptModule", fn);
  }

  static Napi::Value New(Napi::Env env, torch::jit::Module module) {
    pending = &module;
    Napi::Object obj;
    try {
      obj = ctor->New({});
    } catch (...) {
      pending = nullptr;
      throw;
    }
    return obj;
  }

  explicit ScriptModule(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ScriptModule>(info) {
    if (pending == nullptr) throw TorchError(info.Env(), "ScriptModule: not constructible directly; use jit.load()");
    module_ = std::move(*pending);
    pending = nullptr;
  }

 private:
  static thread_local torch::jit::Module* pending;
  std::optional<torch::jit::Module> module_;

  torch::jit::Module& Mod(Napi::Env env, const char* where) {
    if (!module_) ThrowArg(env, where, "the module was disposed");
    return *module_;
  }

  torch::jit::Method FindMethod(Napi::Env env, const std::string& name) {
    auto method = Mod(env, name.c_str()).find_method(name);
    if (!method) {
      std::string names;
      for (const auto& m : module_->get_methods()) names += (names.empty() ? "" : ", ") + m.name();
      ThrowArg(env, name, "the module has no method '" + name + "' (it has: " + names + ")");
    }
    return *method;
  }

  // runMethod(name, args[]) / runMethodAsync(name, args[]): the method and its arguments read from JS.
  std::pair<torch::jit::Method, Stack> Prepare(const Napi::CallbackInfo& info, std::string* name) {
    Napi::Env env = info.Env();
    if (!info[0].IsString() || !info[1].IsArray()) ThrowArg(env, "runMethod", "expected (name, inputs[])");
    *name = info[0].As<Napi::String>().Utf8Value();
    torch::jit::Method method = FindMethod(env, *name);
    Stack args = ArgsFromJs(env, method.function().getSchema(), 1, info[1].As<Napi::Array>(), *name);
    return {std::move(method), std::move(args)};
  }

  Napi::Value RunMethod(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string name = "runMethod";
    TN_TRY
    auto [method, args] = Prepare(info, &name);
    IValue out = method(std::move(args));
    return ToJs(env, out, name);
    TN_JIT_CATCH(env, name)
  }

  Napi::Value RunMethodAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string name = "runMethodAsync";
    TN_TRY
    auto prepared = Prepare(info, &name);
    // The Method holds the module's object, so the module lives until the job ends even if disposed.
    auto job = [method = std::move(prepared.first), args = std::move(prepared.second)]() mutable {
      return method(std::move(args));
    };
    return Queue(env, name, std::move(job), FinishValue);
    TN_JIT_CATCH(env, name)
  }

  Napi::Value MethodNames(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TN_TRY
    auto methods = Mod(env, "methodNames").get_methods();
    Napi::Array out = Napi::Array::New(env, methods.size());
    for (size_t i = 0; i < methods.size(); ++i) out.Set(static_cast<uint32_t>(i), methods[i].name());
    return out;
    TN_CATCH(env)
  }

  // The declaration as TorchScript prints it: "forward(__torch__.Net self, Tensor x) -> Tensor".
  Napi::Value MethodSchema(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TN_TRY
    if (!info[0].IsString()) ThrowArg(env, "methodSchema", "expected a method name");
    std::ostringstream s;
    s << FindMethod(env, info[0].As<Napi::String>()).function().getSchema();
    return Napi::String::New(env, s.str());
    TN_CATCH(env)
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
    TN_TRY
    std::vector<std::pair<std::string, at::Tensor>> items;
    for (const auto& p : Mod(env, "namedParameters").named_parameters(ToBool(info[0], true))) items.emplace_back(p.name, p.value);
    return Pairs(env, items);
    TN_CATCH(env)
  }

  Napi::Value NamedBuffers(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TN_TRY
    std::vector<std::pair<std::string, at::Tensor>> items;
    for (const auto& b : Mod(env, "namedBuffers").named_buffers(ToBool(info[0], true))) items.emplace_back(b.name, b.value);
    return Pairs(env, items);
    TN_CATCH(env)
  }

  // Python's order: each module (pre-order) contributes its parameters, then its buffers.
  Napi::Value StateDict(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TN_TRY
    std::vector<std::pair<std::string, at::Tensor>> items;
    for (const auto& m : Mod(env, "stateDict").named_modules()) {
      std::string prefix = m.name.empty() ? "" : m.name + ".";
      for (const auto& p : m.value.named_parameters(false)) items.emplace_back(prefix + p.name, p.value);
      for (const auto& b : m.value.named_buffers(false)) items.emplace_back(prefix + b.name, b.value);
    }
    return Pairs(env, items);
    TN_CATCH(env)
  }

  Napi::Value Train(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TN_TRY
    Mod(env, "train").train(ToBool(info[0], true));
    return env.Undefined();
    TN_CATCH(env)
  }

  Napi::Value Training(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TN_TRY
    return Napi::Boolean::New(env, Mod(env, "training").is_training());
    TN_CATCH(env)
  }

  // to(device?, dtype?): either may be null.
  Napi::Value To(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TN_TRY
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
    TN_CATCH(env)
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    module_.reset();
    return info.Env().Undefined();
  }

  Napi::Value IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !module_); }

  Napi::Value TypeName(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TN_TRY
    return Napi::String::New(env, Mod(env, "typeName").type()->name()->qualifiedName());
    TN_CATCH(env)
  }
};

thread_local Napi::FunctionReference* ScriptModule::ctor = nullptr;
thread_local torch::jit::Module* ScriptModule::pending = nullptr;

// load(path, device?) / loadAsync(path, device?): the path was checked to exist by lib/jit.
torch::jit::Module LoadModule(const std::string& path, const std::optional<c10::Device>& device) {
  torch::jit::Module m = device ? torch::jit::load(path, *device) : torch::jit::load(path);
  return m;
}

std::optional<c10::Device> DeviceArg(const Napi::CallbackInfo& info, size_t i) {
  if (!Given(info, i)) return std::nullopt;
  return ParseDevice(info.Env(), info[i].ToString());
}

std::string LoadWhere(const std::string& path) { return "jit.load('" + path + "')"; }

Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) ThrowArg(env, "jit.load", "expected a file path");
  std::string path = info[0].As<Napi::String>();
  TN_TRY
  return ScriptModule::New(env, LoadModule(path, DeviceArg(info, 1)));
  TN_JIT_CATCH(env, LoadWhere(path))
}

Napi::Value LoadAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) ThrowArg(env, "jit.load", "expected a file path");
  std::string path = info[0].As<Napi::String>();
  TN_TRY
  auto device = DeviceArg(info, 1);
  auto job = [path, device]() { return IValue(LoadModule(path, device)._ivalue()); };
  auto finish = [](Napi::Env env, IValue& v) { return ScriptModule::New(env, torch::jit::Module(v.toObject())); };
  return Queue(env, LoadWhere(path), std::move(job), finish);
  TN_JIT_CATCH(env, LoadWhere(path))
}

// ---- TracedFunction: a graph recorded from our own modules ----

// trace(fn, inputs[]) calls fn(...inputs) once on the JS thread with libtorch's tracer on (the same
// tracer torch.jit.trace uses), and keeps the recorded graph. Every tensor the graph reads must be
// one of the inputs: lib/jit passes a module's parameters and buffers as inputs, so the graph keeps
// computing with the module's live tensors. Python ints the JS code computed (shapes) become
// constants, as in torch.jit.trace.
class TracedFunction : public Napi::ObjectWrap<TracedFunction> {
 public:
  // One constructor per JS thread (each worker_thread has its own environment).
  static thread_local Napi::FunctionReference* ctor;

  static void Init(Napi::Env env, Napi::Object target) {
    Napi::Function fn = DefineClass(env, "TracedFunction",
                                    {
                                        InstanceMethod<&TracedFunction::Run>("run"),
                                        InstanceMethod<&TracedFunction::RunAsync>("runAsync"),
                                        InstanceMethod<&TracedFunction::GraphText>("graph"),
                                    });
    ctor = new Napi::FunctionReference(Napi::Persistent(fn));
    env.AddCleanupHook([]() {
      delete ctor;
      ctor = nullptr;
    });
    target.Set("TracedFunction", fn);
  }

  explicit TracedFunction(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TracedFunction>(info) {
    if (pending == nullptr) throw TorchError(info.Env(), "TracedFunction: not constructible directly; use jit.trace()");
    fn_ = std::move(*pending);
    pending = nullptr;
  }

  static Napi::Value Trace(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TN_TRY
    if (!info[0].IsFunction() || !info[1].IsArray()) ThrowArg(env, "jit.trace", "expected (fn, inputs[])");
    Napi::Function js_fn = info[0].As<Napi::Function>();
    Napi::Array js_inputs = info[1].As<Napi::Array>();
    Stack inputs;
    for (uint32_t i = 0; i < js_inputs.Length(); ++i) {
      inputs.push_back(Tensor::Get(env, js_inputs.Get(i), ("jit.trace: input " + std::to_string(i)).c_str()));
    }
    size_t n_inputs = inputs.size();
    auto traced = [&](Stack) -> Stack {
      Napi::Value out = js_fn.Call(env.Undefined(), {});
      Stack outputs;
      if (Tensor::IsTensor(out)) {
        outputs.push_back(Tensor::Get(env, out, "jit.trace: output"));
      } else if (out.IsArray()) {
        std::vector<IValue> items;
        Napi::Array a = out.As<Napi::Array>();
        for (uint32_t i = 0; i < a.Length(); ++i) items.push_back(Tensor::Get(env, a.Get(i), "jit.trace: output"));
        outputs.push_back(c10::ivalue::Tuple::create(std::move(items)));
      } else {
        ThrowArg(env, "jit.trace", "the traced function must return a Tensor or an array of Tensors");
      }
      return outputs;
    };
    auto lookup = [](const torch::autograd::Variable&) { return std::string(); };
    auto state = torch::jit::tracer::trace(std::move(inputs), traced, lookup, /*strict=*/true).first;
    auto fn = std::make_shared<torch::jit::GraphFunction>("traced", state->graph, nullptr);
    pending = &fn;
    Napi::Object obj;
    try {
      obj = ctor->New({});
    } catch (...) {
      pending = nullptr;
      throw;
    }
    obj.Set("inputCount", Napi::Number::New(env, static_cast<double>(n_inputs)));
    return obj;
    TN_JIT_CATCH(env, "jit.trace")
  }

 private:
  static thread_local std::shared_ptr<torch::jit::GraphFunction>* pending;
  std::shared_ptr<torch::jit::GraphFunction> fn_;

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TN_TRY
    if (!info[0].IsArray()) ThrowArg(env, "traced forward", "expected inputs[]");
    Stack args = ArgsFromJs(env, fn_->getSchema(), 0, info[0].As<Napi::Array>(), "traced forward");
    return ToJs(env, (*fn_)(std::move(args)), "traced forward");
    TN_JIT_CATCH(env, "traced forward")
  }

  Napi::Value RunAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TN_TRY
    if (!info[0].IsArray()) ThrowArg(env, "forwardAsync", "expected inputs[]");
    Stack args = ArgsFromJs(env, fn_->getSchema(), 0, info[0].As<Napi::Array>(), "forwardAsync");
    auto fn = fn_;
    auto job = [fn, args]() mutable { return (*fn)(std::move(args)); };
    return Queue(env, "forwardAsync", std::move(job), FinishValue);
    TN_JIT_CATCH(env, "forwardAsync")
  }

  Napi::Value GraphText(const Napi::CallbackInfo& info) {
    std::ostringstream s;
    s << *fn_->graph();
    return Napi::String::New(info.Env(), s.str());
  }
};

thread_local Napi::FunctionReference* TracedFunction::ctor = nullptr;
thread_local std::shared_ptr<torch::jit::GraphFunction>* TracedFunction::pending = nullptr;

}  // namespace

void InitJit(Napi::Env env, Napi::Object exports) {
  Napi::Object jit = Napi::Object::New(env);
  ScriptModule::Init(env, jit);
  TracedFunction::Init(env, jit);
  jit.Set("load", Napi::Function::New(env, Load, "load"));
  jit.Set("loadAsync", Napi::Function::New(env, LoadAsync, "loadAsync"));
  jit.Set("trace", Napi::Function::New(env, TracedFunction::Trace, "trace"));
  exports.Set("jit", jit);
}

}  // namespace tn
