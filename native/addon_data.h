// Per-environment references the addon keeps: the JS classes it instantiates (the Tensor maker is
// thread-local beside the handle table, tensor.cc).
#pragma once
#include <napi.h>

namespace tn {

struct AddonData {
  Napi::FunctionReference error_class;   // lib's TorchError, set by setErrorClass()
};

}  // namespace tn
