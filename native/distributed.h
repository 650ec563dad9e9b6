// torch.distributed: the default process group over libtorch's own c10d (TCPStore; ProcessGroupGloo, and
// ProcessGroupNCCL where the build has NCCL), and DistributedDataParallel's reducer (reducer.cc) on it.
#pragma once
#include <napi.h>

namespace tn {
void InitDistributed(Napi::Env env, Napi::Object exports);
void InitReducer(Napi::Env env, Napi::Object dist);

// Waits for the gradient all-reduces DistributedDataParallel launched during the last backward and
// writes their averages into the parameters' .grad: called natively before anything reads a gradient
// (x.grad, the optimizers' steps, zeroGrad), so JS never sees a gradient halfway through its reduction.
// Throws (a c10::Error or std::runtime_error, as the entries expect) if a reduction failed.
void WaitForGradients();

}  // namespace tn
