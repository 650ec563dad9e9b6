// The optimizer steps, one N-API call for the whole parameter list: torch.optim.SGD's update with
// the multi-tensor (_foreach_*) kernels PyTorch's foreach=True path uses. Nothing here reads a value
// back to the host, so on CUDA a step stays asynchronous.
#include "common.h"
#include "entry.h"
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
  if (!info[0].IsArray() || !info[1].IsArray() || !info[2].IsObject())
    ThrowArg(env, "SGD.step", "expected (params, momentumBuffers, options)");
  Napi::Array params_js = info[0].As<Napi::Array>();
  Napi::Array bufs_js = info[1].As<Napi::Array>();
  Options o(env, info[2], "SGD.step");
  double lr = o.Double("lr");
  double momentum = o.Double("momentum"), dampening = o.Double("dampening"), weight_decay = o.Double("weightDecay");
  bool nesterov = o.Bool("nesterov", false), maximize = o.Bool("maximize", false);
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
}

// zeroGrad(params, setToNone): PyTorch's Optimizer.zero_grad / Module.zero_grad.
Napi::Value ZeroGrad(Info info) {
  Napi::Env env = info.Env();
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
}

// The parameters of a step that have a gradient, with their positions in the JS arrays.
struct WithGrad {
  std::vector<at::Tensor> params, grads;
  std::vector<uint32_t> index;
};

WithGrad CollectGrads(Napi::Env env, const Napi::Array& params_js, const char* where) {
  WithGrad out;
  for (uint32_t i = 0; i < params_js.Length(); ++i) {
    const at::Tensor& p = Tensor::Get(env, params_js.Get(i), where);
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    if (g.is_sparse()) ThrowArg(env, where, "sparse gradients are not supported");
    out.params.push_back(p);
    out.grads.push_back(g);
    out.index.push_back(i);
  }
  return out;
}

// The state tensor in slot index[k] of `slots`, made by `make` (and kept out of every tidy()) when
// the slot is empty: PyTorch's lazy state initialisation on a parameter's first step.
template <typename Make>
std::vector<at::Tensor> StateSlots(Napi::Env env, Napi::Array slots, const WithGrad& w, const char* where, Make make) {
  std::vector<at::Tensor> out;
  out.reserve(w.params.size());
  for (size_t k = 0; k < w.params.size(); ++k) {
    Napi::Value v = slots.Get(w.index[k]);
    if (v.IsUndefined() || v.IsNull()) {
      at::Tensor t = make(w.params[k]);
      slots.Set(w.index[k], WrapKept(env, t));
      out.push_back(t);
    } else {
      out.push_back(Tensor::Get(env, v, where));
    }
  }
  return out;
}

// avg = decay * avg + (1 - decay) * g, rounded as the libtorch's PyTorch does it: 2.x lerp_s
// (avg += (1 - decay) * (g - avg)), 1.x multiplies and adds.
void LerpInto(std::vector<at::Tensor>& avgs, const std::vector<at::Tensor>& grads, double decay) {
#if TORCH_VERSION_MAJOR >= 2
  at::_foreach_lerp_(avgs, grads, 1 - decay);
#else
  at::_foreach_mul_(avgs, decay);
  at::_foreach_add_(avgs, grads, 1 - decay);
#endif
}

at::Tensor ZerosLike(const at::Tensor& p) { return at::zeros_like(p, at::MemoryFormat::Preserve); }
// PyTorch keeps `step` as a float32 scalar on the CPU (not capturable, not fused).
at::Tensor StepTensor(const at::Tensor&) { return at::zeros({}, at::TensorOptions().dtype(at::kFloat)); }

Napi::Array ArrayArg(Info info, size_t i, uint32_t n, const char* where) {
  if (!info[i].IsArray() || info[i].As<Napi::Array>().Length() != n)
    ThrowArg(info.Env(), where, "expected one state slot per parameter");
  return info[i].As<Napi::Array>();
}

// adamStep(params, steps, expAvgs, expAvgSqs, maxExpAvgSqs, {lr, beta1, beta2, eps, weightDecay,
// amsgrad, maximize, decoupled}): torch.optim.Adam (decoupled: AdamW) with the _foreach_ kernels.
// The bias corrections are host doubles from the CPU step counters, as PyTorch's _get_value(step).
Napi::Value AdamStep(Info info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray() || !info[5].IsObject()) ThrowArg(env, "Adam.step", "expected (params, steps, expAvgs, expAvgSqs, maxExpAvgSqs, options)");
  Napi::Array params_js = info[0].As<Napi::Array>();
  uint32_t n = params_js.Length();
  Options o(env, info[5], "Adam.step");
  double lr = o.Double("lr"), beta1 = o.Double("beta1"), beta2 = o.Double("beta2"), eps = o.Double("eps");
  double wd = o.Double("weightDecay");
  bool amsgrad = o.Bool("amsgrad", false), maximize = o.Bool("maximize", false), decoupled = o.Bool("decoupled", false);
  WithGrad w = CollectGrads(env, params_js, "Adam.step: params");
  if (w.params.empty()) return env.Undefined();
  auto steps = StateSlots(env, ArrayArg(info, 1, n, "Adam.step"), w, "Adam.step: step", StepTensor);
  auto exp_avgs = StateSlots(env, ArrayArg(info, 2, n, "Adam.step"), w, "Adam.step: exp_avg", ZerosLike);
  auto exp_avg_sqs = StateSlots(env, ArrayArg(info, 3, n, "Adam.step"), w, "Adam.step: exp_avg_sq", ZerosLike);

  torch::NoGradGuard no_grad;
  at::_foreach_add_(steps, 1);
  std::vector<at::Tensor> grads = maximize ? at::_foreach_neg(w.grads) : w.grads;
  if (wd != 0) {
    if (decoupled) at::_foreach_mul_(w.params, 1 - lr * wd);
    else grads = at::_foreach_add(grads, w.params, wd);
  }
  // exp_avg = beta1 * exp_avg + (1 - beta1) * g; exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
  LerpInto(exp_avgs, grads, beta1);
  at::_foreach_mul_(exp_avg_sqs, beta2);
  at::_foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2);

  std::vector<at::Scalar> step_sizes, bc2_sqrts;
  for (const auto& st : steps) {
    double t = st.item<double>();  // a CPU scalar: no device sync
    step_sizes.emplace_back(-lr / (1 - std::pow(beta1, t)));
    bc2_sqrts.emplace_back(std::sqrt(1 - std::pow(beta2, t)));
  }
  std::vector<at::Tensor> second = exp_avg_sqs;
  if (amsgrad) {
    auto maxes = StateSlots(env, ArrayArg(info, 4, n, "Adam.step"), w, "Adam.step: max_exp_avg_sq", ZerosLike);
    for (size_t k = 0; k < maxes.size(); ++k) at::maximum_out(maxes[k], maxes[k], exp_avg_sqs[k]);
    second = maxes;
  }
  // p += -lr / bc1 * exp_avg / (sqrt(v) / sqrt(bc2) + eps)
  std::vector<at::Tensor> denom = at::_foreach_sqrt(second);
  at::_foreach_div_(denom, bc2_sqrts);
  at::_foreach_add_(denom, eps);
  at::_foreach_addcdiv_(w.params, exp_avgs, denom, step_sizes);
  return env.Undefined();
}

// rmspropStep(params, steps, squareAvgs, momentumBuffers, gradAvgs, {lr, alpha, eps, weightDecay,
// momentum, centered, maximize, tensorStep}): torch.optim.RMSprop. tensorStep: PyTorch 2.x keeps
// `step` as a CPU tensor (counted here); 1.x keeps an int, which the caller counts.
Napi::Value RmspropStep(Info info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray() || !info[5].IsObject()) ThrowArg(env, "RMSprop.step", "expected (params, steps, squareAvgs, momentumBuffers, gradAvgs, options)");
  Napi::Array params_js = info[0].As<Napi::Array>();
  uint32_t n = params_js.Length();
  Options o(env, info[5], "RMSprop.step");
  double lr = o.Double("lr"), alpha = o.Double("alpha"), eps = o.Double("eps"), wd = o.Double("weightDecay");
  double momentum = o.Double("momentum");
  bool centered = o.Bool("centered", false), maximize = o.Bool("maximize", false);
  WithGrad w = CollectGrads(env, params_js, "RMSprop.step: params");
  if (w.params.empty()) return env.Undefined();
  if (o.Bool("tensorStep", false)) {
    auto steps = StateSlots(env, ArrayArg(info, 1, n, "RMSprop.step"), w, "RMSprop.step: step", StepTensor);
    at::_foreach_add_(steps, 1);
  }
  auto square_avgs = StateSlots(env, ArrayArg(info, 2, n, "RMSprop.step"), w, "RMSprop.step: square_avg", ZerosLike);

  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> grads = maximize ? at::_foreach_neg(w.grads) : w.grads;
  if (wd != 0) grads = at::_foreach_add(grads, w.params, wd);
  at::_foreach_mul_(square_avgs, alpha);
  at::_foreach_addcmul_(square_avgs, grads, grads, 1 - alpha);
  std::vector<at::Tensor> avg;
  if (centered) {
    auto grad_avgs = StateSlots(env, ArrayArg(info, 4, n, "RMSprop.step"), w, "RMSprop.step: grad_avg", ZerosLike);
    LerpInto(grad_avgs, grads, alpha);
    avg = at::_foreach_addcmul(square_avgs, grad_avgs, grad_avgs, -1);
    at::_foreach_sqrt_(avg);
  } else {
    avg = at::_foreach_sqrt(square_avgs);
  }
  at::_foreach_add_(avg, eps);
  if (momentum > 0) {
    auto bufs = StateSlots(env, ArrayArg(info, 3, n, "RMSprop.step"), w, "RMSprop.step: momentum_buffer", ZerosLike);
    at::_foreach_mul_(bufs, momentum);
    at::_foreach_addcdiv_(bufs, grads, avg);
    at::_foreach_add_(w.params, bufs, -lr);
  } else {
    at::_foreach_addcdiv_(w.params, grads, avg, -lr);
  }
  return env.Undefined();
}

// PyTorch's fused SGD kernel with the learning rate read from a device tensor (the tensor_lr overload)
// arrived in libtorch 2.4; 1.x and early 2.x fall back to sgdStep (lib/optim/sgd.ts says so).
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TORCH_NODE_HAS_FUSED_SGD 1
#endif

// An optional tensor argument (GradScaler's grad_scale / found_inf): undefined and null mean none.
[[maybe_unused]] c10::optional<at::Tensor> OptionalTensor(Napi::Env env, const Napi::Value& v, const char* where) {
  if (!Given(v)) return c10::nullopt;
  return Tensor::Get(env, v, where);
}

// fusedSgdStep(params, momentumBuffers, lr, {momentum, dampening, weightDecay, nesterov, maximize},
// gradScale?, foundInf?): torch.optim.SGD(fused=True) as PyTorch's _fused_sgd runs it. `lr` is a float32
// tensor on the parameters' device, so a captured CUDA graph reads the value the scheduler last wrote
// with fill_, and no host value is baked into it. With gradScale the kernel divides the gradients by it;
// with foundInf (non-zero) it leaves everything unchanged: GradScaler's skipped step, with no host read.
// Momentum buffers are made on the first step (all slots empty), as PyTorch's is_first_step.
Napi::Value FusedSgdStep(Info info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray() || !info[1].IsArray() || !info[3].IsObject())
    ThrowArg(env, "SGD.step (fused)", "expected (params, momentumBuffers, lr, options)");
#ifdef TORCH_NODE_HAS_FUSED_SGD
  Napi::Array params_js = info[0].As<Napi::Array>();
  Napi::Array bufs_js = ArrayArg(info, 1, params_js.Length(), "SGD.step (fused)");
  const at::Tensor& lr = Tensor::Get(env, info[2], "SGD.step (fused): lr");
  Options o(env, info[3], "SGD.step (fused)");
  double momentum = o.Double("momentum"), dampening = o.Double("dampening"), weight_decay = o.Double("weightDecay");
  bool nesterov = o.Bool("nesterov", false), maximize = o.Bool("maximize", false);
  auto grad_scale = OptionalTensor(env, info[4], "SGD.step (fused): gradScale");
  auto found_inf = OptionalTensor(env, info[5], "SGD.step (fused): foundInf");
  WithGrad w = CollectGrads(env, params_js, "SGD.step (fused): params");
  if (w.params.empty()) return env.Undefined();
  if (lr.device() != w.params[0].device())
    ThrowArg(env, "SGD.step (fused)", "lr tensor is on " + DeviceName(lr.device()) + ", the parameters on " + DeviceName(w.params[0].device()));

  std::vector<at::Tensor> bufs;
  bool first = false;
  if (momentum != 0) {
    size_t empty = 0;
    for (size_t k = 0; k < w.params.size(); ++k) empty += Given(bufs_js.Get(w.index[k])) ? 0 : 1;
    if (empty != 0 && empty != w.params.size())
      ThrowArg(env, "SGD.step (fused)", "momentum buffers exist for some parameters only (fused SGD needs all or none)");
    first = empty != 0;
    // The kernel writes the first step's buffer itself (buf = d_p): empty_like, as PyTorch.
    bufs = StateSlots(env, bufs_js, w, "SGD.step (fused): momentum buffer",
                      [](const at::Tensor& p) { return at::empty_like(p, at::MemoryFormat::Preserve); });
  }
  torch::NoGradGuard no_grad;
  at::_fused_sgd_(w.params, w.grads, bufs, weight_decay, momentum, lr, dampening, nesterov, maximize, first,
                  grad_scale, found_inf);
  return env.Undefined();
#else
  ThrowArg(env, "SGD.step (fused)", "fused SGD needs libtorch 2.4 or newer (this is " + std::to_string(TORCH_VERSION_MAJOR) +
                                       "." + std::to_string(TORCH_VERSION_MINOR) + ")");
#endif
}

const Entry kOptim[] = {
    {"sgdStep", SgdStep, kAsThrown},
    {"adamStep", AdamStep, kAsThrown},
    {"rmspropStep", RmspropStep, kAsThrown},
    {"fusedSgdStep", FusedSgdStep, kAsThrown},
    {"zeroGrad", ZeroGrad, kAsThrown},
};

}  // namespace

void InitOptimizer(Napi::Env env, Napi::Object exports) {
  Napi::Object optim = Napi::Object::New(env);
  Export(env, optim, kOptim);
#ifdef TORCH_NODE_HAS_FUSED_SGD
  optim.Set("hasFusedSgd", Napi::Boolean::New(env, true));
#else
  optim.Set("hasFusedSgd", Napi::Boolean::New(env, false));
#endif
  exports.Set("optim", optim);
}

}  // namespace tn
