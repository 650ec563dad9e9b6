// The two kernels of torch.amp.GradScaler: unscale the gradients while noting any inf/nan, and update the
// scale (growth after growth_interval clean steps, backoff on a bad one). Both work on device tensors and
// read nothing back, so a scaled fp16 step stays asynchronous (and capturable). Where the libtorch has no
// kernel for the device (1.13 has them for CUDA only), the same arithmetic runs as tensor ops.
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/version.h>

#include "common.h"
#include "entry.h"
#include "grad_scaler.h"
#include "tensor.h"

namespace tn {

namespace {

using Info = const Napi::CallbackInfo&;

// Whether `op` has a kernel for t's device in this libtorch (the CPU ones arrived in 2.x).
bool HasKernel(const char* op, const at::Tensor& t) {
  auto handle = c10::Dispatcher::singleton().findSchema({op, ""});
  if (!handle) return false;
  return handle->hasKernelForDispatchKey(t.is_cuda() ? c10::DispatchKey::CUDA : c10::DispatchKey::CPU);
}

std::vector<at::Tensor> TensorList(Napi::Env env, const Napi::Value& v, const char* where) {
  if (!v.IsArray()) ThrowArg(env, where, "expected an array of Tensors");
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(Tensor::Get(env, arr.Get(i), where));
  return out;
}

// A one-element float32 tensor, as GradScaler keeps scale, inv_scale and found_inf.
const at::Tensor& ScalarTensor(Napi::Env env, const Napi::Value& v, const char* where, at::ScalarType dtype) {
  const at::Tensor& t = Tensor::Get(env, v, where);
  if (t.numel() != 1 || t.scalar_type() != dtype)
    ThrowArg(env, where, "expected a one-element " + DtypeName(dtype) + " tensor, got " + DtypeName(t.scalar_type()) +
                             " with " + std::to_string(t.numel()) + " elements");
  return t;
}

// unscaleGrads(grads, foundInf, invScale): grads *= invScale in place; foundInf becomes 1 when any
// gradient holds an inf or a nan (it is never reset here: one foundInf gathers a whole optimizer).
Napi::Value UnscaleGrads(Info info) {
  Napi::Env env = info.Env();
  std::vector<at::Tensor> grads = TensorList(env, info[0], "GradScaler.unscale_: grads");
  const at::Tensor& found_inf = ScalarTensor(env, info[1], "GradScaler.unscale_: foundInf", at::kFloat);
  const at::Tensor& inv_scale = ScalarTensor(env, info[2], "GradScaler.unscale_: invScale", at::kFloat);
  if (grads.empty()) return env.Undefined();
  torch::NoGradGuard no_grad;
  if (HasKernel("aten::_amp_foreach_non_finite_check_and_unscale_", found_inf)) {
    at::_amp_foreach_non_finite_check_and_unscale_(grads, const_cast<at::Tensor&>(found_inf), inv_scale);
  } else {
    for (auto& g : grads) {
      at::Tensor bad = at::isfinite(g).logical_not().any().to(at::kFloat);
      found_inf.copy_(at::maximum(found_inf, bad));
      g.mul_(inv_scale);
    }
  }
  return env.Undefined();
}

// updateScale(scale, growthTracker, foundInf, growthFactor, backoffFactor, growthInterval): PyTorch's
// _amp_update_scale_. A bad step multiplies the scale by backoffFactor and resets the tracker; the
// growthInterval-th clean step in a row multiplies it by growthFactor (if that stays finite).
Napi::Value UpdateScale(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& scale = ScalarTensor(env, info[0], "GradScaler.update: scale", at::kFloat);
  const at::Tensor& tracker = ScalarTensor(env, info[1], "GradScaler.update: growthTracker", at::kInt);
  const at::Tensor& found_inf = ScalarTensor(env, info[2], "GradScaler.update: foundInf", at::kFloat);
  double growth = ToDouble(env, info[3], "GradScaler.update: growthFactor");
  double backoff = ToDouble(env, info[4], "GradScaler.update: backoffFactor");
  int64_t interval = ToInt(env, info[5], "GradScaler.update: growthInterval");
  torch::NoGradGuard no_grad;
  if (HasKernel("aten::_amp_update_scale_", scale)) {
    at::_amp_update_scale_(const_cast<at::Tensor&>(scale), const_cast<at::Tensor&>(tracker), found_inf, growth, backoff, interval);
  } else {
    at::Tensor bad = found_inf.ne(0);
    at::Tensor successful = tracker.add(1);
    at::Tensor due = successful.eq(interval);
    at::Tensor grown = scale.mul(growth).to(at::kFloat);
    at::Tensor kept = at::where(due.logical_and(at::isfinite(grown)), grown, scale);
    at::Tensor zero = at::zeros_like(tracker);
    scale.copy_(at::where(bad, scale.mul(backoff).to(at::kFloat), kept));
    tracker.copy_(at::where(bad.logical_or(due), zero, successful));
  }
  return env.Undefined();
}

const Entry kGradScaler[] = {
    {"unscaleGrads", UnscaleGrads, kAsThrown},
    {"updateScale", UpdateScale, kAsThrown},
};

}  // namespace

void InitGradScaler(Napi::Env env, Napi::Object exports) {
  Napi::Object scaler = Napi::Object::New(env);
  Export(env, scaler, kGradScaler);
  exports.Set("gradScaler", scaler);
}

}  // namespace tn
