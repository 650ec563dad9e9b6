// The Tensor methods that compute: one table entry per PyTorch method name.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <vector>

namespace tn {

struct TensorOp {
  const char* name;
  Napi::Value (*fn)(const Napi::CallbackInfo& info, const at::Tensor& self);
};

const std::vector<TensorOp>& TensorOps();

}  // namespace tn
