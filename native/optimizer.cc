// The optimizer steps, one N-API call for the whole parameter list: torch.optim.SGD's update with
// the multi-tensor (_foreach_*) kernels PyTorch's foreach=True path uses. Nothing here reads a value
// back to the host, so on CUDA a step stays asynchronous.
#include "common.h"
#include "nn.h"
#include "tensor.h"

namespace tn {

namespace {

using Info = const Napi::CallbackInfo&;

// sgdStep(params, momentumBuffers, {lr, momentum, dampening, weightDecay, nesterov, maximize}).
// momentumBuffers[i] is a Tensor or null; a first step with momentum fills it with a new tensor
// (buf = clone(d_p), as PyTorch) that no tidy() frees. Parameters without a gradient are skipped.
Napi::Value SgdStep(Info info) {
  Napi::Env env = info.Env();
  TN_TRY
  if (!info[0].IsArray() || !info[1].IsArray() || !info[2].IsObject())
    ThrowArg(env, "SGD.step", "expected (params, momentumBuffers, options)");
  Napi::Array params_js = info[0].As<Napi::Array>();
  Napi::Array bufs_js = info[1].As<Napi::Array>();
  Napi::Object o = info[2].As<Napi::Object>();
  double lr = ToDouble(env, o.Get("lr"), "SGD.step: lr");
  double momentum = ToDouble(env, o.Get("momentum"), "SGD.step: momentum");
  double dampening = ToDouble(env, o.Get("dampening"), "SGD.step: dampening");
  double weight_decay = ToDouble(env, o.Get("weightDecay"), "SGD.step: weightDecay");
  bool nesterov = ToBool(o.Get("nesterov"), false);
  bool maximize = ToBool(o.Get("maximize"), false);
  if (bufs_js.Length() != params_js.Length()) ThrowArg(env, "SGD.step", "one momentum buffer slot per parameter expected");

  std::vector<at::Tensor> params, grads;
  std::vector<uint32_t> index;  // position in the JS arrays of each parameter with a gradient
  for (uint32_t i = 0; i < params_js.Length(); ++i) {
    const at::Tensor& p = Tensor::Get(env, params_js.Get(i), "SGD.step: params");
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    if (g.is_sparse()) ThrowArg(env, "SGD.step", "sparse gradients are not supported");
    params.push_back(p);
    grads.push_back(g);
    index.push_back(i);
  }
  if (params.empty()) return env.Undefined();

  torch::NoGradGuard no_grad;
  // d_p = ±grad (+ weight_decay * p): new tensors, the .grad tensors are left as they are.
  std::vector<at::Tensor> d_p = maximize ? at::_foreach_neg(grads) : grads;
  if (weight_decay != 0) d_p = at::_foreach_add(d_p, params, weight_decay);

  if (momentum != 0) {
    std::vector<at::Tensor> bufs(params.size());
    std::vector<at::Tensor> old_bufs, old_dp;
    for (size_t k = 0; k < params.size(); ++k) {
      Napi::Value b = bufs_js.Get(index[k]);
      if (b.IsUndefined() || b.IsNull()) {
        bufs[k] = d_p[k].clone().detach();
        bufs_js.Set(index[k], WrapKept(env, bufs[k]));
      } else {
        bufs[k] = Tensor::Get(env, b, "SGD.step: momentum buffer");
        old_bufs.push_back(bufs[k]);
        old_dp.push_back(d_p[k]);
      }
    }
    if (!old_bufs.empty()) {
      // buf = momentum * buf + (1 - dampening) * d_p
      at::_foreach_mul_(old_bufs, momentum);
      at::_foreach_add_(old_bufs, old_dp, 1 - dampening);
    }
    if (nesterov) d_p = at::_foreach_add(d_p, bufs, momentum);
    else d_p = bufs;
  }
  at::_foreach_add_(params, d_p, -lr);
  return env.Undefined();
  TN_CATCH(env)
}

// zeroGrad(params, setToNone): PyTorch's Optimizer.zero_grad / Module.zero_grad.
Napi::Value ZeroGrad(Info info) {
  Napi::Env env = info.Env();
  TN_TRY
  if (!info[0].IsArray()) ThrowArg(env, "zeroGrad", "expected an array of Tensors");
  Napi::Array arr = info[0].As<Napi::Array>();
  bool set_to_none = ToBool(info[1], true);
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const at::Tensor& p = Tensor::Get(env, arr.Get(i), "zeroGrad");
    at::Tensor& g = p.mutable_grad();
    if (!g.defined()) continue;
    if (set_to_none) {
      g.reset();
    } else {
      if (g.grad_fn()) g = g.detach();
      else g.requires_grad_(false);
      g.zero_();
    }
  }
  return env.Undefined();
  TN_CATCH(env)
}

}  // namespace

void InitOptimizer(Napi::Env env, Napi::Object exports) {
  Napi::Object optim = Napi::Object::New(env);
  optim.Set("sgdStep", Napi::Function::New(env, SgdStep, "sgdStep"));
  optim.Set("zeroGrad", Napi::Function::New(env, ZeroGrad, "zeroGrad"));
  exports.Set("optim", optim);
}

}  // namespace tn
