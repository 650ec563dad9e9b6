// lib/serialization's native helper: checkpoint storages read from the file into tensor memory.
#pragma once
#include <napi.h>

namespace tn {
void InitSerialization(Napi::Env env, Napi::Object exports);
}  // namespace tn
