// A job on the libuv pool, shared by the TorchScript calls (jit.cc) and the AOTInductor packages
// (aoti.cc): the job runs libtorch code on a pool thread and a finish step turns its result into JS
// values on the JS thread, so tidy scopes and the tensor registry are only ever touched there.
#pragma once
#include <ATen/core/ivalue.h>
#include <napi.h>

#include <functional>
#include <string>

namespace tn {

// Runs `job` on a libuv pool thread with the caller's grad mode and thread count, and resolves a promise with
// finish(result) on the JS thread; libtorch errors reject it with a TorchError "<where>: <message(what)>".
class PoolWorker : public Napi::AsyncWorker {
 public:
  using Job = std::function<c10::IValue()>;
  using Finish = std::function<Napi::Value(Napi::Env, c10::IValue&)>;
  // Cuts a libtorch message to the line users read (TorchScript's traceback, AOTInductor's file names).
  using Message = std::string (*)(const std::string&);

  PoolWorker(Napi::Env env, std::string where, Job job, Finish finish, Message message);

  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  Napi::Promise::Deferred deferred_;
  std::string where_;
  Job job_;
  Finish finish_;
  Message message_;
  bool grad_enabled_;
  int threads_;
  c10::IValue result_;
};

// Queues a PoolWorker (it deletes itself when done) and returns its promise.
Napi::Value QueuePoolJob(Napi::Env env, std::string where, PoolWorker::Job job, PoolWorker::Finish finish,
                         PoolWorker::Message message);

}  // namespace tn
