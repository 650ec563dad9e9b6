// PoolWorker (worker.h): a libtorch job on the libuv pool, its result finished on the JS thread.
#include "worker.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>

#include "common.h"

namespace tn {

PoolWorker::PoolWorker(Napi::Env env, std::string where, Job job, Finish finish, Message message)
    : Napi::AsyncWorker(env, "torch.pool"),
      deferred_(Napi::Promise::Deferred::New(env)),
      where_(std::move(where)),
      job_(std::move(job)),
      finish_(std::move(finish)),
      message_(message),
      grad_enabled_(at::GradMode::is_enabled()),
      threads_(at::get_num_threads()) {}

void PoolWorker::Execute() {
  try {
    // OpenMP's thread count is per calling thread: a pool thread would otherwise use every core
    // whatever torch.setNumThreads() said on the JS thread.
    if (at::get_num_threads() != threads_) at::set_num_threads(threads_);
    at::AutoGradMode grad(grad_enabled_);
    result_ = job_();
  } catch (const c10::Error& e) {
    SetError(where_ + ": " + message_(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    SetError(where_ + ": " + message_(e.what()));
  }
}

void PoolWorker::OnOK() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  try {
    deferred_.Resolve(finish_(env, result_));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  } catch (const std::exception& e) {
    deferred_.Reject(TorchError(env, where_ + ": " + e.what()).Value());
  }
  result_ = c10::IValue();
}

void PoolWorker::OnError(const Napi::Error& e) {
  Napi::HandleScope scope(Env());
  deferred_.Reject(TorchError(Env(), e.Message()).Value());
}

Napi::Value QueuePoolJob(Napi::Env env, std::string where, PoolWorker::Job job, PoolWorker::Finish finish,
                         PoolWorker::Message message) {
  auto* worker = new PoolWorker(env, std::move(where), std::move(job), std::move(finish), message);
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // the worker deletes itself after OnOK / OnError
  return promise;
}

}  // namespace tn
