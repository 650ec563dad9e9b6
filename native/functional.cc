// torch.nn.functional: the ops the ResNet family needs, each one N-API call. Required arguments
// come positionally and PyTorch's keyword arguments in one options object, as lib/nn/functional.ts
// passes them.
#include "common.h"
#include "entry.h"
#include "nn.h"
#include "tensor.h"

namespace tn {

namespace {

namespace F = torch::nn::functional;
using Info = const Napi::CallbackInfo&;


// An optional tensor argument: undefined/null is None.
at::Tensor OptTensor(Napi::Env env, const Napi::Value& v, const char* where) {
  if (!Given(v)) return at::Tensor();
  return Tensor::Get(env, v, where);
}


Napi::Value Relu(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "relu: input");
  if (ToBool(info[1], false)) {
    at::Tensor y = x;
    y.relu_();
    return info[0];
  }
  return Tensor::Wrap(env, at::relu(x));
}

// avgPool2d(input, kernelSize, {stride, padding, ceilMode, countIncludePad, divisorOverride})
Napi::Value AvgPool2d(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "avgPool2d: input");
  if (x.dim() != 3 && x.dim() != 4)
    ThrowArg(env, "avgPool2d", "expected a 3-D or 4-D input, got " + std::to_string(x.dim()) + "-D");
  auto k = ToPair(env, info[1], "avgPool2d: kernelSize");
  Options o(env, info[2], "avgPool2d");
  // stride defaults to the kernel size, as in PyTorch.
  auto stride = o.Pair("stride", k);
  auto pad = o.Pair("padding", std::vector<int64_t>{0, 0});
  c10::optional<int64_t> divisor;
  if (o.Has("divisorOverride")) divisor = o.Int("divisorOverride", 0);
  return Tensor::Wrap(env, at::avg_pool2d(x, k, stride, pad, o.Bool("ceilMode", false),
                                          o.Bool("countIncludePad", true), divisor));
}

Napi::Value AdaptiveAvgPool2d(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "adaptiveAvgPool2d: input");
  if (x.dim() != 3 && x.dim() != 4)
    ThrowArg(env, "adaptiveAvgPool2d", "expected a 3-D or 4-D input, got " + std::to_string(x.dim()) + "-D");
  return Tensor::Wrap(env, at::adaptive_avg_pool2d(x, ToPair(env, info[1], "adaptiveAvgPool2d: outputSize")));
}

Napi::Value Linear(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "linear: input");
  const at::Tensor& w = Tensor::Get(env, info[1], "linear: weight");
  at::Tensor b = OptTensor(env, info[2], "linear: bias");
  if (w.dim() != 2) ThrowArg(env, "linear", "weight must be 2-D, got " + std::to_string(w.dim()) + "-D");
  if (x.dim() < 1 || x.size(-1) != w.size(1))
    ThrowArg(env, "linear", "the last dimension of the input (" + std::to_string(x.dim() ? x.size(-1) : 0) +
                                ") must equal weight.size(1) (" + std::to_string(w.size(1)) + ")");
  return Tensor::Wrap(env, F::linear(x, w, b));
}

// conv2d(input, weight, bias, {stride, padding, dilation, groups})
Napi::Value Conv2d(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "conv2d: input");
  const at::Tensor& w = Tensor::Get(env, info[1], "conv2d: weight");
  at::Tensor b = OptTensor(env, info[2], "conv2d: bias");
  Options o(env, info[3], "conv2d");
  F::Conv2dFuncOptions opts;
  opts.bias(b);
  if (o.Has("stride")) {
    auto s = o.Pair("stride", {});
    opts.stride(torch::ExpandingArray<2>({s[0], s[1]}));
  }
  if (o.Has("dilation")) {
    auto d = o.Pair("dilation", {});
    opts.dilation(torch::ExpandingArray<2>({d[0], d[1]}));
  }
  if (o.Has("groups")) opts.groups(o.Int("groups", 0));
  Napi::Value p = o.Get("padding");
  if (p.IsString()) {
    std::string s = p.As<Napi::String>();
    if (s == "same") opts.padding(torch::kSame);
    else if (s == "valid") opts.padding(torch::kValid);
    else ThrowArg(env, "conv2d", "invalid padding string '" + s + "', should be one of {'valid', 'same'}");
  } else if (Given(p)) {
    auto pd = ToPair(env, p, "conv2d: padding");
    opts.padding(torch::ExpandingArray<2>({pd[0], pd[1]}));
  }
  if (x.dim() != 3 && x.dim() != 4)
    ThrowArg(env, "conv2d", "expected a 3-D (unbatched) or 4-D (batched) input, got " + std::to_string(x.dim()) + "-D");
  return Tensor::Wrap(env, F::conv2d(x, w, opts));
}

// batchNorm(input, runningMean, runningVar, {weight, bias, training, momentum, eps})
Napi::Value BatchNorm(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "batchNorm: input");
  at::Tensor mean = OptTensor(env, info[1], "batchNorm: runningMean");
  at::Tensor var = OptTensor(env, info[2], "batchNorm: runningVar");
  Options o(env, info[3], "batchNorm");
  F::BatchNormFuncOptions opts;
  opts.weight(OptTensor(env, o.Get("weight"), "batchNorm: weight"));
  opts.bias(OptTensor(env, o.Get("bias"), "batchNorm: bias"));
  opts.training(o.Bool("training", false));
  if (o.Has("momentum")) opts.momentum(o.Double("momentum"));
  if (o.Has("eps")) opts.eps(o.Double("eps"));
  if (x.dim() < 2) ThrowArg(env, "batchNorm", "expected an input of at least 2 dimensions (N, C, ...)");
  return Tensor::Wrap(env, F::batch_norm(x, mean, var, opts));
}

// crossEntropy(input, target, {weight, ignoreIndex, reduction, labelSmoothing})
Napi::Value CrossEntropy(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "crossEntropy: input");
  const at::Tensor& target = Tensor::Get(env, info[1], "crossEntropy: target");
  Options o(env, info[2], "crossEntropy");
  F::CrossEntropyFuncOptions opts;
  opts.weight(OptTensor(env, o.Get("weight"), "crossEntropy: weight"));
  if (o.Has("ignoreIndex")) opts.ignore_index(o.Int("ignoreIndex", 0));
  if (o.Has("labelSmoothing")) {
    double ls = o.Double("labelSmoothing");
    if (ls < 0.0 || ls > 1.0) ThrowArg(env, "crossEntropy", "label_smoothing must be between 0.0 and 1.0. Got: " + std::to_string(ls));
    opts.label_smoothing(ls);
  }
  std::string red = o.Get("reduction").IsString() ? o.Get("reduction").As<Napi::String>().Utf8Value() : "mean";
  if (red == "mean") opts.reduction(torch::kMean);
  else if (red == "sum") opts.reduction(torch::kSum);
  else if (red == "none") opts.reduction(torch::kNone);
  else ThrowArg(env, "crossEntropy", "reduction must be 'mean', 'sum' or 'none', got '" + red + "'");
  if (x.dim() < 1) ThrowArg(env, "crossEntropy", "input must have at least 1 dimension (C) or 2 (N, C)");
  // Targets are class indices (int64, one dimension less than the input) or class probabilities
  // (floating point, the input's shape).
  bool probabilities = at::isFloatingType(target.scalar_type()) && target.sizes() == x.sizes();
  if (!probabilities && target.scalar_type() != at::kLong)
    ThrowArg(env, "crossEntropy", "class-index targets must be int64, got " + DtypeName(target.scalar_type()) +
                                      " (probability targets must be floating point with the input's shape)");
  return Tensor::Wrap(env, F::cross_entropy(x, target, opts));
}

Napi::Value LogSoftmax(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "logSoftmax: input");
  if (!Given(info[1])) ThrowArg(env, "logSoftmax", "dim is required");
  return Tensor::Wrap(env, at::log_softmax(x, ToInt(env, info[1], "logSoftmax: dim")));
}

// softmax(input, dim, dtype?): dtype casts the input first, as PyTorch's dtype argument.
Napi::Value Softmax(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "softmax: input");
  if (!Given(info[1])) ThrowArg(env, "softmax", "dim is required");
  int64_t dim = ToInt(env, info[1], "softmax: dim");
  if (Given(info[2])) return Tensor::Wrap(env, at::softmax(x, dim, ParseDtype(env, info[2].ToString().Utf8Value())));
  return Tensor::Wrap(env, at::softmax(x, dim));
}

// The reduction keyword of the losses: 'mean' (default), 'sum' or 'none'.
int64_t Reduction(Napi::Env env, const Options& o, const char* where) {
  Napi::Value r = o.Get("reduction");
  std::string red = r.IsString() ? r.As<Napi::String>().Utf8Value() : "mean";
  if (red == "mean") return at::Reduction::Mean;
  if (red == "sum") return at::Reduction::Sum;
  if (red == "none") return at::Reduction::None;
  ThrowArg(env, where, "reduction must be 'mean', 'sum' or 'none', got '" + red + "'");
}

// maxPool2d(input, kernelSize, {stride, padding, dilation, ceilMode}).
Napi::Value MaxPool2d(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "maxPool2d: input");
  if (x.dim() != 3 && x.dim() != 4)
    ThrowArg(env, "maxPool2d", "expected a 3-D or 4-D input, got " + std::to_string(x.dim()) + "-D");
  auto k = ToPair(env, info[1], "maxPool2d: kernelSize");
  Options o(env, info[2], "maxPool2d");
  auto stride = o.Pair("stride", k);
  auto pad = o.Pair("padding", std::vector<int64_t>{0, 0});
  auto dil = o.Pair("dilation", std::vector<int64_t>{1, 1});
  return Tensor::Wrap(env, at::max_pool2d(x, k, stride, pad, dil, o.Bool("ceilMode", false)));
}

// dropout(input, p, training, inplace, feature): feature=true zeroes whole channels (dropout2d).
// Uses the global generator, so manualSeed() makes it reproducible.
Napi::Value Dropout(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "dropout: input");
  double p = ToDouble(env, info[1], "dropout: p");
  if (p < 0.0 || p > 1.0) ThrowArg(env, "dropout", "dropout probability has to be between 0 and 1, but got " + std::to_string(p));
  bool training = ToBool(info[2], true);
  bool inplace = ToBool(info[3], false);
  bool feature = ToBool(info[4], false);
  if (feature && x.dim() != 3 && x.dim() != 4)
    ThrowArg(env, "dropout2d", "expected a 3-D or 4-D input, got " + std::to_string(x.dim()) + "-D");
  if (inplace) {
    at::Tensor y = x;
    if (feature) at::feature_dropout_(y, p, training);
    else at::dropout_(y, p, training);
    return info[0];
  }
  return Tensor::Wrap(env, feature ? at::feature_dropout(x, p, training) : at::dropout(x, p, training));
}

// layerNorm(input, normalizedShape, weight, bias, eps).
Napi::Value LayerNorm(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "layerNorm: input");
  auto shape = ToIntList(env, info[1], "layerNorm: normalizedShape");
  at::Tensor w = OptTensor(env, info[2], "layerNorm: weight");
  at::Tensor b = OptTensor(env, info[3], "layerNorm: bias");
  double eps = Given(info, 4) ? ToDouble(env, info[4], "layerNorm: eps") : 1e-5;
  return Tensor::Wrap(env, at::layer_norm(x, shape, w, b, eps));
}

// nllLoss(input, target, {weight, ignoreIndex, reduction}): input holds log-probabilities.
Napi::Value NllLoss(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "nllLoss: input");
  const at::Tensor& t = Tensor::Get(env, info[1], "nllLoss: target");
  Options o(env, info[2], "nllLoss");
  if (t.scalar_type() != at::kLong) ThrowArg(env, "nllLoss", "target must be int64 class indices, got " + DtypeName(t.scalar_type()));
  int64_t ignore = o.Int("ignoreIndex", -100);
  return Tensor::Wrap(env, at::nll_loss_nd(x, t, OptTensor(env, o.Get("weight"), "nllLoss: weight"),
                                           Reduction(env, o, "nllLoss"), ignore));
}

// mseLoss / l1Loss(input, target, {reduction}): shapes must agree (PyTorch warns and broadcasts; we refuse).
Napi::Value PointwiseLoss(Info info, const char* name, bool l1) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], (std::string(name) + ": input").c_str());
  const at::Tensor& t = Tensor::Get(env, info[1], (std::string(name) + ": target").c_str());
  if (x.sizes() != t.sizes())
    ThrowArg(env, name, "target size " + c10::str(t.sizes()) + " differs from input size " + c10::str(x.sizes()) +
                            " (broadcasting would silently change the loss)");
  int64_t red = Reduction(env, Options(env, info[2], name), name);
  return Tensor::Wrap(env, l1 ? at::l1_loss(x, t, red) : at::mse_loss(x, t, red));
}
Napi::Value MseLoss(Info info) {
  return PointwiseLoss(info, "mseLoss", false);
}
Napi::Value L1Loss(Info info) {
  return PointwiseLoss(info, "l1Loss", true);
}

// binaryCrossEntropyWithLogits(input, target, {weight, posWeight, reduction}).
Napi::Value BceWithLogits(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "binaryCrossEntropyWithLogits: input");
  const at::Tensor& t = Tensor::Get(env, info[1], "binaryCrossEntropyWithLogits: target");
  if (x.sizes() != t.sizes())
    ThrowArg(env, "binaryCrossEntropyWithLogits", "target size " + c10::str(t.sizes()) + " must be the same as input size " + c10::str(x.sizes()));
  Options o(env, info[2], "binaryCrossEntropyWithLogits");
  return Tensor::Wrap(env, at::binary_cross_entropy_with_logits(
                               x, t, OptTensor(env, o.Get("weight"), "binaryCrossEntropyWithLogits: weight"),
                               OptTensor(env, o.Get("posWeight"), "binaryCrossEntropyWithLogits: posWeight"),
                               Reduction(env, o, "binaryCrossEntropyWithLogits")));
}

// oneHot(tensor, numClasses=-1): int64 in, int64 out, as F.one_hot.
Napi::Value OneHot(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "oneHot: tensor");
  if (x.scalar_type() != at::kLong) ThrowArg(env, "oneHot", "tensor must be int64 class indices, got " + DtypeName(x.scalar_type()));
  return Tensor::Wrap(env, at::one_hot(x, Given(info, 1) ? ToInt(env, info[1], "oneHot: numClasses") : -1));
}

// embedding(input, weight, paddingIdx): rows of weight; the padding row gets no gradient.
Napi::Value Embedding(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "embedding: input");
  const at::Tensor& w = Tensor::Get(env, info[1], "embedding: weight");
  if (x.scalar_type() != at::kLong && x.scalar_type() != at::kInt)
    ThrowArg(env, "embedding", "input must be int64 or int32 indices, got " + DtypeName(x.scalar_type()));
  if (w.dim() != 2) ThrowArg(env, "embedding", "weight must be 2-D, got " + std::to_string(w.dim()) + "-D");
  int64_t pad = Given(info, 2) ? ToInt(env, info[2], "embedding: paddingIdx") : -1;
  if (pad < 0 && Given(info, 2)) pad += w.size(0);
  return Tensor::Wrap(env, at::embedding(w, x, pad));
}

// gelu(input, approximate='none' | 'tanh'); silu(input).
Napi::Value Gelu(Info info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = Tensor::Get(env, info[0], "gelu: input");
  std::string approx = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "none";
  if (approx != "none" && approx != "tanh") ThrowArg(env, "gelu", "approximate must be 'none' or 'tanh', got '" + approx + "'");
  return Tensor::Wrap(env, at::gelu(x, approx));
}
Napi::Value Silu(Info info) {
  Napi::Env env = info.Env();
  return Tensor::Wrap(env, at::silu(Tensor::Get(env, info[0], "silu: input")));
}

// Every function runs through CallEntry (entry.h): libtorch's messages get the op's name in front.
const Entry kFunctional[] = {
    {"relu", Relu},
    {"avgPool2d", AvgPool2d},
    {"adaptiveAvgPool2d", AdaptiveAvgPool2d},
    {"linear", Linear},
    {"conv2d", Conv2d},
    {"batchNorm", BatchNorm},
    {"crossEntropy", CrossEntropy},
    {"logSoftmax", LogSoftmax},
    {"softmax", Softmax},
    {"maxPool2d", MaxPool2d},
    {"dropout", Dropout},
    {"layerNorm", LayerNorm},
    {"nllLoss", NllLoss},
    {"mseLoss", MseLoss},
    {"l1Loss", L1Loss},
    {"binaryCrossEntropyWithLogits", BceWithLogits},
    {"oneHot", OneHot},
    {"embedding", Embedding},
    {"gelu", Gelu},
    {"silu", Silu},
};

}  // namespace

void InitFunctional(Napi::Env env, Napi::Object exports) {
  Napi::Object f = Napi::Object::New(env);
  Export(env, f, kFunctional);
  exports.Set("functional", f);
}

}  // namespace tn
