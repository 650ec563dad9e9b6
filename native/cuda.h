// CUDA queries that work in every build: with a CPU-only libtorch they report no devices.
#pragma once
#include <napi.h>

#include <cstdint>

namespace tn {
void InitCuda(Napi::Env env, Napi::Object exports);
// Caching-allocator figures per device, or null where this build has no CUDA.
Napi::Value CudaMemoryStats(Napi::Env env);
// Bytes the CUDA caching allocator has handed out to tensors, all devices; 0 without CUDA. Takes the
// allocator's lock: callers sample it, not on every op.
int64_t CudaAllocatedBytes();
}  // namespace tn
