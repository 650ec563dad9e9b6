#include "worker.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include "common.h"

namespace tn {

namespace {

class PoolWorker : public Napi::AsyncWorker {
 public:
  PoolWorker(Napi::Env env, std::string where, Job job, Cleaner clean)
      : Napi::AsyncWorker(env, "libtorch-node"),
        deferred_(Napi::Promise::Deferred::New(env)),
        where_(std::move(where)),
        job_(std::move(job)),
        clean_(clean),
        grad_enabled_(c10::GradMode::is_enabled()),
        threads_(at::get_num_threads()) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      // OpenMP's thread count is per calling thread: a pool thread would otherwise use every core
      // whatever torch.setNumThreads() said on the JS thread.
      if (at::get_num_threads() != threads_) at::set_num_threads(threads_);
      c10::AutoGradMode grad(grad_enabled_);
      finish_ = job_();
    } catch (...) {
      SetError(where_ + ": " + CurrentMessage(clean_));
    }
    job_ = nullptr;  // drop the job's tensors on the pool thread's side
  }

  // Both settle the promise; both can run while a worker thread's environment shuts down (a rank ended
  // by a signal), where a JS exception would terminate the process instead of letting it end.
  void OnOK() override {
    Napi::Env env = Env();
    try {
      Napi::HandleScope scope(env);
      try {
        deferred_.Resolve(finish_ ? finish_(env) : env.Undefined());
      } catch (...) {
        deferred_.Reject(TorchError(env, where_ + ": " + CurrentMessage(clean_)).Value());
      }
    } catch (const Napi::Error&) {
    }
    finish_ = nullptr;
  }

  void OnError(const Napi::Error& e) override {
    try {
      Napi::HandleScope scope(Env());
      deferred_.Reject(TorchError(Env(), e.Message()).Value());
    } catch (const Napi::Error&) {
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::string where_;
  Job job_;
  Finish finish_;
  Cleaner clean_;
  bool grad_enabled_;
  int threads_;
};

}  // namespace

Napi::Promise QueueJob(Napi::Env env, std::string where, Job job, Cleaner clean) {
  auto* worker = new PoolWorker(env, std::move(where), std::move(job), clean);
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // the worker deletes itself after OnOK / OnError
  return promise;
}

Napi::Promise QueueVoidJob(Napi::Env env, std::string where, std::function<void()> job, Cleaner clean) {
  return QueueJob(env, std::move(where), [job = std::move(job)]() -> Finish {
    job();
    return nullptr;
  }, clean);
}

}  // namespace tn
