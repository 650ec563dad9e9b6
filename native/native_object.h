// What the classes around one runnable native object share: ScriptModule (a TorchScript module),
// TracedFunction (a traced graph) and AotiPackage (an AOTInductor package). JS cannot construct them:
// native code makes one around its object (Create); their calls read the JS arguments on the JS thread,
// then run the object there or on the libuv pool (RunCall).
#pragma once
#include <napi.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "entry.h"
#include "worker.h"

namespace tn {

// Self: the class (CRTP); Held: what each instance keeps (moved in by Create).
template <typename Self, typename Held>
class NativeObject : public Napi::ObjectWrap<Self> {
 public:
  // A new JS instance holding `held`.
  static Napi::Object Create(Napi::Env env, Held held) {
    pending_ = &held;
    try {
      Napi::Object obj = ctor_->New({});
      pending_ = nullptr;
      return obj;
    } catch (...) {
      pending_ = nullptr;
      throw;
    }
  }

 protected:
  using Accessors = std::vector<typename Napi::ObjectWrap<Self>::PropertyDescriptor>;

  // `makers`: what makes one ("jit.load()"), for the message when JS calls the constructor itself.
  NativeObject(const Napi::CallbackInfo& info, const char* makers) : Napi::ObjectWrap<Self>(info) {
    if (pending_ == nullptr) throw TorchError(info.Env(), std::string(name_) + ": not constructible directly; use " + makers);
    held_ = std::move(*pending_);
    pending_ = nullptr;
  }

  // The class `name` with its accessors and methods (entry.h's Method<Self, &Self::Fn>), kept for Create on
  // this JS thread until the environment ends. `name` must have static storage.
  static Napi::Function Define(Napi::Env env, const char* name, const Accessors& accessors,
                               std::initializer_list<MethodEntry> methods) {
    Napi::Function fn = Napi::ObjectWrap<Self>::DefineClass(env, name, accessors);
    DefineMethods(env, fn, methods);
    name_ = name;
    ctor_ = new Napi::FunctionReference(Napi::Persistent(fn));
    env.AddCleanupHook([]() {
      delete ctor_;
      ctor_ = nullptr;
    });
    return fn;
  }

  Held held_;

 private:
  // One constructor per JS thread (each worker_thread has its own environment).
  static thread_local Napi::FunctionReference* ctor_;
  static thread_local Held* pending_;
  static inline thread_local const char* name_ = "";
};

template <typename Self, typename Held>
thread_local Napi::FunctionReference* NativeObject<Self, Held>::ctor_ = nullptr;
template <typename Self, typename Held>
thread_local Held* NativeObject<Self, Held>::pending_ = nullptr;

// One call of a native object: `prepare()` reads the JS arguments (on the JS thread) and returns `run`, a
// callable that needs no JS and gives the result; `to_js(env, result)` turns that into JS values on the JS
// thread. Now: the value; async: a promise, `run` on the libuv pool (worker.h). Errors are TorchErrors
// "<where>: <message>", the message cleaned by `clean`; an async call's argument errors throw at once.
template <typename Prepare, typename ToJs>
Napi::Value RunCall(Napi::Env env, const std::string& where, bool async, Cleaner clean, Prepare&& prepare, ToJs to_js) {
  if (!async) return Guard(env, where, [&] { return to_js(env, prepare()()); }, clean);
  auto run = Guard(env, where, [&] { return prepare(); }, clean);
  Job job = [run = std::move(run), to_js]() mutable -> Finish {
    auto result = run();
    return [result = std::move(result), to_js](Napi::Env env) { return to_js(env, result); };
  };
  return QueueJob(env, where, std::move(job), clean);
}

}  // namespace tn
