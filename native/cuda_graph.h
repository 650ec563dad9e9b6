// CUDA graphs (at::cuda::CUDAGraph) for a captured training step; in a CPU build every call says so.
#pragma once
#include <napi.h>

namespace tn {
void InitCudaGraph(Napi::Env env, Napi::Object exports);
}  // namespace tn
