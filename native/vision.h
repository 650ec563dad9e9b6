// Image tensor ops for lib/vision (vision.cc): resize as torchvision.transforms.functional.resize.
#pragma once
#include <napi.h>

namespace tn {

void InitVision(Napi::Env env, Napi::Object exports);

}  // namespace tn
