// Autograd's thread-local modes: grad mode (torch.no_grad / enable_grad / set_grad_enabled, scoped in
// lib/autograd/grad_mode.ts) and inference mode (torch.inference_mode, c10::InferenceMode).
//
// c10::InferenceMode is an RAII guard: it saves the thread's autograd state and dispatch keys when made and
// puts them back when destroyed, so guards must end in the reverse order they began. Each JS thread (the main
// thread, each worker_thread) keeps a stack of the guards its inferenceMode scopes hold; enter pushes one,
// exit pops it and refuses any other order than last-in-first-out.
#include <c10/core/InferenceMode.h>

#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "entry.h"
#include "grad_mode.h"
#include "per_thread.h"

namespace tn {

namespace {

struct InferenceScopes {
  std::vector<std::unique_ptr<c10::InferenceMode>> guards;
};

Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), previous);
}

Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
}

// enterInferenceMode(mode) -> the depth of this thread's stack with the new guard on top, for exit.
// c10::InferenceMode(false) is PyTorch's inference_mode(False): inference mode off, grad mode on.
Napi::Value EnterInferenceMode(const Napi::CallbackInfo& info) {
  std::vector<std::unique_ptr<c10::InferenceMode>>& guards = PerThread<InferenceScopes>::Get().guards;
  guards.push_back(std::make_unique<c10::InferenceMode>(ToBool(info[0], true)));
  return Napi::Number::New(info.Env(), static_cast<double>(guards.size()));
}

// exitInferenceMode(depth): ends the guard that enter returned `depth` for, which must be the latest.
Napi::Value ExitInferenceMode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::unique_ptr<c10::InferenceMode>>& guards = PerThread<InferenceScopes>::Get().guards;
  int64_t depth = ToInt(env, info[0], "inferenceMode");
  if (depth != static_cast<int64_t>(guards.size())) {
    ThrowArg(env, "inferenceMode", "scopes must end in the reverse order they began (ending scope " +
                                       std::to_string(depth) + " of " + std::to_string(guards.size()) + ")");
  }
  guards.pop_back();
  return env.Undefined();
}

Napi::Value IsInferenceModeEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled());
}

}  // namespace

// Every function runs through CallEntry (entry.h): its errors are TorchErrors that name it.
const Entry kGradMode[] = {
    {"setGradEnabled", SetGradEnabled},
    {"isGradEnabled", IsGradEnabled},
    {"enterInferenceMode", EnterInferenceMode, "inferenceMode"},
    {"exitInferenceMode", ExitInferenceMode, "inferenceMode"},
    {"isInferenceModeEnabled", IsInferenceModeEnabled},
};

void InitGradMode(Napi::Env env, Napi::Object exports) { Export(env, exports, kGradMode); }

}  // namespace tn
