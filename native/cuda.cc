#include "cuda.h"

#include <torch/cuda.h>

#include <string>

#include "common.h"
#include "entry.h"

#ifdef TORCH_NODE_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace tn {

namespace {

Napi::Value IsAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), torch::cuda::is_available());
}

Napi::Value DeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count()));
}

Napi::Value CudnnIsAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), torch::cuda::cudnn_is_available());
}

Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!torch::cuda::is_available()) ThrowArg(env, "cuda.synchronize", "CUDA is not available");
  int64_t device = info.Length() > 0 && info[0].IsNumber() ? ToInt(env, info[0], "cuda.synchronize") : -1;
  torch::cuda::synchronize(device);
  return env.Undefined();
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef TORCH_NODE_WITH_CUDA
  if (torch::cuda::is_available()) c10::cuda::CUDACachingAllocator::emptyCache();
#endif
  return env.Undefined();
}

Napi::Value ManualSeedAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  torch::cuda::manual_seed_all(static_cast<uint64_t>(ToInt(env, info[0], "cuda.manualSeedAll")));
  return env.Undefined();
}

// torch.cuda.set_device(index): the device 'cuda' (no index) means on this thread from now on, as the CUDA
// runtime's current device. lib/ parses 'cuda:N' and skips a negative index (PyTorch's no-op).
Napi::Value SetDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t index = ToInt(env, info[0], "cuda.setDevice");
  if (!torch::cuda::is_available()) ThrowArg(env, "cuda.setDevice", "CUDA is not available");
  const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
  if (index < 0 || index >= count) {
    ThrowArg(env, "cuda.setDevice", "device index " + std::to_string(index) + " is out of range: this machine has " + std::to_string(count) + " CUDA device(s)");
  }
#ifdef TORCH_NODE_WITH_CUDA
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(index));
#endif
  return env.Undefined();
}

// torch.cuda.current_device().
Napi::Value CurrentDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!torch::cuda::is_available()) ThrowArg(env, "cuda.currentDevice", "CUDA is not available");
#ifdef TORCH_NODE_WITH_CUDA
  return Napi::Number::New(env, static_cast<double>(c10::cuda::current_device()));
#else
  return Napi::Number::New(env, 0);
#endif
}

const Entry kCuda[] = {
    {"setDevice", SetDevice, kAsThrown},
    {"currentDevice", CurrentDevice, kAsThrown},
    {"isAvailable", IsAvailable, kAsThrown},
    {"deviceCount", DeviceCount, kAsThrown},
    {"cudnnIsAvailable", CudnnIsAvailable, kAsThrown},
    {"synchronize", Synchronize, kAsThrown},
    {"emptyCache", EmptyCache, kAsThrown},
    {"manualSeedAll", ManualSeedAll, kAsThrown},
};

}  // namespace

int64_t CudaAllocatedBytes() {
#ifdef TORCH_NODE_WITH_CUDA
  if (!torch::cuda::is_available()) return 0;
  int64_t total = 0;
  for (size_t i = 0; i < torch::cuda::device_count(); ++i) {
    try {
      total += c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(i)).allocated_bytes[0].current;
    } catch (const c10::Error&) {
      // the allocator is not initialised yet: nothing allocated there
    }
  }
  return total;
#else
  return 0;
#endif
}

Napi::Value CudaMemoryStats(Napi::Env env) {
#ifdef TORCH_NODE_WITH_CUDA
  if (!torch::cuda::is_available()) return env.Null();
  Napi::Object out = Napi::Object::New(env);
  // Index 0 is StatType::AGGREGATE; the enum moved headers in libtorch 2.6, the index did not.
  constexpr size_t aggregate = 0;
  for (size_t i = 0; i < torch::cuda::device_count(); ++i) {
    c10::cuda::CUDACachingAllocator::DeviceStats stats;
    try {
      stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(i));
    } catch (const c10::Error&) {
      continue;  // the allocator has not been initialised for this device yet: nothing allocated there
    }
    Napi::Object d = Napi::Object::New(env);
    d.Set("allocatedBytes", Napi::Number::New(env, static_cast<double>(stats.allocated_bytes[aggregate].current)));
    d.Set("reservedBytes", Napi::Number::New(env, static_cast<double>(stats.reserved_bytes[aggregate].current)));
    d.Set("peakAllocatedBytes", Napi::Number::New(env, static_cast<double>(stats.allocated_bytes[aggregate].peak)));
    out.Set("cuda:" + std::to_string(i), d);
  }
  return out;
#else
  return env.Null();
#endif
}

void InitCuda(Napi::Env env, Napi::Object exports) {
  Napi::Object cuda = Napi::Object::New(env);
  Export(env, cuda, kCuda);
#ifdef TORCH_NODE_WITH_CUDA
  cuda.Set("compiled", Napi::Boolean::New(env, true));
#else
  cuda.Set("compiled", Napi::Boolean::New(env, false));
#endif
  exports.Set("cuda", cuda);
}

}  // namespace tn
