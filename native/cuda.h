// CUDA queries that work in every build: with a CPU-only libtorch they report no devices.
#pragma once
#include <napi.h>

namespace tn {
void InitCuda(Napi::Env env, Napi::Object exports);
// Caching-allocator figures per device, or null where this build has no CUDA.
Napi::Value CudaMemoryStats(Napi::Env env);
}  // namespace tn
