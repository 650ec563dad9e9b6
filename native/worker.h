// The one async worker: runs a job on a libuv pool thread and settles a promise on the JS thread.
// jit (TorchScript calls, loads, traced graphs) and distributed (rendezvous, collectives) queue their
// jobs here.
//
// Threads: the job only touches at::Tensors and IValues; JS values are read before it is queued and its
// result becomes JS values in `Finish`, on the JS thread, so tidy scopes and the tensor registry are only
// ever touched there.
#pragma once
#include <napi.h>

#include <functional>
#include <string>

#include "entry.h"

namespace tn {

// What the job hands back: turns its result into the promise's value, on the JS thread.
using Finish = std::function<Napi::Value(Napi::Env)>;
using Job = std::function<Finish()>;

// Queues `job` with the caller's grad mode and OpenMP thread count; the promise resolves with the
// finisher's value, or rejects with a TorchError "<where>: <message>" (the message cleaned by `clean`).
Napi::Promise QueueJob(Napi::Env env, std::string where, Job job, Cleaner clean = nullptr);

// A job with nothing to hand back: the promise resolves with undefined.
Napi::Promise QueueVoidJob(Napi::Env env, std::string where, std::function<void()> job, Cleaner clean = nullptr);

}  // namespace tn
