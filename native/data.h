// lib/data's native helpers (seeded generators for the DataLoader's shuffle).
#pragma once
#include <napi.h>

namespace tn {
void InitData(Napi::Env env, Napi::Object exports);
}  // namespace tn
