// torch.export on the native side: packages compiled by AOTInductor (.pt2), loaded and run with
// libtorch's AOTIModelPackageLoader (aoti.cc).
#pragma once
#include <napi.h>

namespace tn {

void InitAoti(Napi::Env env, Napi::Object exports);

}  // namespace tn
