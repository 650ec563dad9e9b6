// TracedFunction: a graph recorded from our own modules with libtorch's tracer (jit.trace), run on the JS
// thread or the libuv pool (lib/jit's forwardAsync for our modules).
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/script.h>

#include <sstream>

#include "common.h"
#include "entry.h"
#include "ivalue.h"
#include "jit_internal.h"
#include "tensor.h"

namespace tn {

using torch::jit::IValue;
using torch::jit::Stack;

namespace {

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
    Napi::Function fn = DefineClass(env, "TracedFunction", std::vector<PropertyDescriptor>{});
    DefineMethods(env, fn, {
                     Method<TracedFunction, &TracedFunction::Run>("run"),
                     Method<TracedFunction, &TracedFunction::RunAsync>("runAsync"),
                     Method<TracedFunction, &TracedFunction::GraphText>("graph")
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
    return Guard(info.Env(), "jit.trace", [&] { return Record(info); }, JitMessage);
  }

 private:
  static thread_local std::shared_ptr<torch::jit::GraphFunction>* pending;
  std::shared_ptr<torch::jit::GraphFunction> fn_;

  static Napi::Value Record(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
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
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return Guard(env, "traced forward", [&] {
      if (!info[0].IsArray()) ThrowArg(env, "traced forward", "expected inputs[]");
      Stack args = ArgsFromJs(env, fn_->getSchema(), 0, info[0].As<Napi::Array>(), "traced forward");
      return ToJs(env, (*fn_)(std::move(args)), "traced forward");
    }, JitMessage);
  }

  Napi::Value RunAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsArray()) ThrowArg(env, "forwardAsync", "expected inputs[]");
    Stack args = Guard(env, "forwardAsync", [&] {
      return ArgsFromJs(env, fn_->getSchema(), 0, info[0].As<Napi::Array>(), "forwardAsync");
    }, JitMessage);
    auto job = [fn = fn_, args = std::move(args)]() mutable { return FinishValue((*fn)(std::move(args))); };
    return QueueJob(env, "forwardAsync", std::move(job), JitMessage);
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

void InitTracedFunction(Napi::Env env, Napi::Object target) { TracedFunction::Init(env, target); }

Napi::Value Trace(const Napi::CallbackInfo& info) { return TracedFunction::Trace(info); }

}  // namespace tn
