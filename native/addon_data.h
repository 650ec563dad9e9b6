// Per-environment references the addon keeps: the JS classes it instantiates.
#pragma once
#include <napi.h>

namespace tn {

struct AddonData {
  Napi::FunctionReference error_class;   // lib's TorchError, set by setErrorClass()
  Napi::FunctionReference tensor_class;  // the native Tensor constructor
};

}  // namespace tn
