// torch.distributed: the default process group over libtorch's own c10d (TCPStore; ProcessGroupGloo, and
// ProcessGroupNCCL where the build has NCCL), DistributedDataParallel's reducer (reducer.cc) on it, and the key-value stores (store.cc).
#pragma once
#include <napi.h>

namespace tn {
void InitDistributed(Napi::Env env, Napi::Object exports);
void InitReducer(Napi::Env env, Napi::Object dist);
void InitStore(Napi::Env env, Napi::Object dist);

}  // namespace tn
