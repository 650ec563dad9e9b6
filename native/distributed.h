// torch.distributed: the default process group over libtorch's own c10d (TCPStore, ProcessGroupGloo).
#pragma once
#include <napi.h>

namespace tn {
void InitDistributed(Napi::Env env, Napi::Object exports);
}  // namespace tn
