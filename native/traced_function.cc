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
#include "native_object.h"
#include "schema_binder.h"
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
class TracedFunction : public NativeObject<TracedFunction, std::shared_ptr<torch::jit::GraphFunction>> {
 public:
  static void Init(Napi::Env env, Napi::Object target) {
    target.Set("TracedFunction", Define(env, "TracedFunction", {}, {
        Method<TracedFunction, &TracedFunction::Run>("run"),
        Method<TracedFunction, &TracedFunction::RunAsync>("runAsync"),
        Method<TracedFunction, &TracedFunction::GraphText>("graph"),
    }));
  }

  explicit TracedFunction(const Napi::CallbackInfo& info) : NativeObject(info, "jit.trace()") {}

  static Napi::Value Trace(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), "jit.trace", [&] { return Record(info); }, JitMessage);
  }

 private:
  // held_: the graph function (shared with the calls in flight).

  static Napi::Value Record(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsFunction()) ThrowArg(env, "jit.trace", "expected (fn, inputs[])");
    Napi::Function js_fn = info[0].As<Napi::Function>();
    std::vector<at::Tensor> tensors = TensorsFromJs(env, info[1], "jit.trace", "inputs");
    Stack inputs(tensors.begin(), tensors.end());
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
    Napi::Object obj = Create(env, std::move(fn));
    obj.Set("inputCount", Napi::Number::New(env, static_cast<double>(n_inputs)));
    return obj;
  }

  // run(inputs[]) / runAsync(inputs[]): the graph's tensors (lib/jit passes them, checked) bound by its schema.
  Napi::Value Invoke(const Napi::CallbackInfo& info, const char* where, bool async) {
    Napi::Env env = info.Env();
    if (!info[0].IsArray()) ThrowArg(env, where, "expected inputs[]");
    auto prepare = [&] {
      ArgSchema schema = ArgSchemaOf(held_->getSchema(), 0, false, where, Dialect::TorchScript);
      Stack args = BindInputs(env, schema, info[0].As<Napi::Array>(), where);
      return [fn = held_, args]() mutable { return (*fn)(std::move(args)); };
    };
    auto to_js = [where](Napi::Env env, const IValue& result) { return ToJs(env, result, where); };
    return RunCall(env, where, async, JitMessage, prepare, to_js);
  }

  Napi::Value Run(const Napi::CallbackInfo& info) { return Invoke(info, "traced forward", false); }
  Napi::Value RunAsync(const Napi::CallbackInfo& info) { return Invoke(info, "forwardAsync", true); }

  Napi::Value GraphText(const Napi::CallbackInfo& info) {
    std::ostringstream s;
    s << *held_->graph();
    return Napi::String::New(info.Env(), s.str());
  }
};

}  // namespace

void InitTracedFunction(Napi::Env env, Napi::Object target) { TracedFunction::Init(env, target); }

Napi::Value Trace(const Napi::CallbackInfo& info) { return TracedFunction::Trace(info); }

}  // namespace tn
