// nn.Conv2d, nn.BatchNorm2d and nn.Linear backed by libtorch's own modules (torch::nn::*Impl):
// their constructors run libtorch's reset_parameters, which is PyTorch's default initialisation
// (kaiming_uniform_(a=sqrt(5)) for weights, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for biases), and
// forward is one N-API call per layer. The TypeScript Module (lib/nn/layers.ts) holds one of these
// and exposes the module's own parameter and buffer tensors, so in-place updates are shared.
#include <memory>
#include <sstream>

#include "common.h"
#include "entry.h"
#include "memory.h"
#include "nn.h"
#include "tensor.h"

namespace tn {

Napi::Value WrapKept(Napi::Env env, at::Tensor t) { return Tensor::WrapKept(env, std::move(t)); }

namespace {

// PyTorch's _pair of an option: an int or a 1/2-element list becomes two values.
torch::ExpandingArray<2> Pair(const Options& o, const char* name) {
  std::vector<int64_t> xs = o.Pair(name, {});
  return torch::ExpandingArray<2>({xs[0], xs[1]});
}

std::string Shape(const at::Tensor& t) {
  std::ostringstream s;
  s << "[";
  for (int64_t i = 0; i < t.dim(); ++i) s << (i ? ", " : "") << t.size(i);
  s << "]";
  return s.str();
}

// One native layer: a libtorch module, the input checks PyTorch's module makes, and its forward.
// A new layer is one subclass and one line in kLayers.
class Layer {
 public:
  virtual ~Layer() = default;
  virtual torch::nn::Module& module() = 0;
  // Throws a TorchError naming `where` when the input does not fit the layer.
  virtual void Check(Napi::Env env, const at::Tensor& x, const std::string& where) const = 0;
  virtual at::Tensor Forward(const at::Tensor& x) = 0;
  std::string name;
};

// The parts every layer shares: holding a torch::nn::ModuleHolder and calling its forward.
template <typename Holder>
class LayerOf : public Layer {
 public:
  explicit LayerOf(Holder m) : m_(std::move(m)) {}
  torch::nn::Module& module() override { return *m_; }
  at::Tensor Forward(const at::Tensor& x) override { return m_->forward(x); }

 protected:
  Holder m_;
};

class Conv2dLayer : public LayerOf<torch::nn::Conv2d> {
 public:
  using LayerOf::LayerOf;
  void Check(Napi::Env env, const at::Tensor& x, const std::string& where) const override {
    int64_t c = m_->weight.size(1) * m_->options.groups();
    if (x.dim() != 3 && x.dim() != 4)
      ThrowArg(env, where, "expected a 3-D (unbatched C, H, W) or 4-D (N, C, H, W) input, got " +
                               std::to_string(x.dim()) + "-D input of shape " + Shape(x));
    if (x.size(-3) != c)
      ThrowArg(env, where, "expected input " + Shape(x) + " to have " + std::to_string(c) + " channels, but got " +
                               std::to_string(x.size(-3)) + " channels instead");
  }
};

class BatchNorm2dLayer : public LayerOf<torch::nn::BatchNorm2d> {
 public:
  using LayerOf::LayerOf;
  void Check(Napi::Env env, const at::Tensor& x, const std::string& where) const override {
    if (x.dim() != 4)
      ThrowArg(env, where, "expected 4D input (got " + std::to_string(x.dim()) + "D input of shape " + Shape(x) + ")");
    if (x.size(1) != m_->options.num_features())
      ThrowArg(env, where, "expected input " + Shape(x) + " to have " + std::to_string(m_->options.num_features()) +
                               " channels, but got " + std::to_string(x.size(1)));
  }
};

class LinearLayer : public LayerOf<torch::nn::Linear> {
 public:
  using LayerOf::LayerOf;
  void Check(Napi::Env env, const at::Tensor& x, const std::string& where) const override {
    if (x.dim() < 1 || x.size(-1) != m_->options.in_features())
      ThrowArg(env, where, "expected the last dimension of the input to be " +
                               std::to_string(m_->options.in_features()) + ", got shape " + Shape(x));
  }
};

std::unique_ptr<Layer> MakeConv(Napi::Env env, const Options& o) {
  const std::string w = "Conv2d";
  if (!o.Has("inChannels") || !o.Has("outChannels") || !o.Has("kernelSize"))
    ThrowArg(env, w, "inChannels, outChannels and kernelSize are required");
  int64_t in = o.Int("inChannels", 0), out = o.Int("outChannels", 0);
  int64_t groups = o.Int("groups", 1);
  if (in <= 0 || out <= 0) ThrowArg(env, w, "inChannels and outChannels must be positive, got " + std::to_string(in) + " and " + std::to_string(out));
  if (groups <= 0) ThrowArg(env, w, "groups must be a positive integer");
  if (in % groups != 0) ThrowArg(env, w, "in_channels must be divisible by groups");
  if (out % groups != 0) ThrowArg(env, w, "out_channels must be divisible by groups");
  auto kernel = Pair(o, "kernelSize");
  torch::nn::Conv2dOptions opts(in, out, kernel);
  opts.groups(groups).bias(o.Bool("bias", true));
  if (o.Has("stride")) opts.stride(Pair(o, "stride"));
  if (o.Has("dilation")) opts.dilation(Pair(o, "dilation"));
  if (o.Has("padding")) {
    Napi::Value p = o.Get("padding");
    if (p.IsString()) {
      std::string s = p.As<Napi::String>();
      if (s == "same") opts.padding(torch::kSame);
      else if (s == "valid") opts.padding(torch::kValid);
      else ThrowArg(env, w, "invalid padding string '" + s + "', should be one of {'valid', 'same'}");
    } else {
      opts.padding(Pair(o, "padding"));
    }
  }
  if (o.Has("paddingMode")) {
    if (!o.Get("paddingMode").IsString()) ThrowArg(env, w, "paddingMode must be a string");
    std::string m = o.Get("paddingMode").As<Napi::String>();
    if (m == "zeros") opts.padding_mode(torch::kZeros);
    else if (m == "reflect") opts.padding_mode(torch::kReflect);
    else if (m == "replicate") opts.padding_mode(torch::kReplicate);
    else if (m == "circular") opts.padding_mode(torch::kCircular);
    else ThrowArg(env, w, "padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', got '" + m + "'");
  }
  auto layer = std::make_unique<Conv2dLayer>(torch::nn::Conv2d(opts));
  std::ostringstream s;
  s << "Conv2d(" << in << ", " << out << ", kernel_size=(" << (*kernel)[0] << ", " << (*kernel)[1] << "))";
  layer->name = s.str();
  return layer;
}

std::unique_ptr<Layer> MakeBatchNorm(Napi::Env env, const Options& o) {
  const std::string w = "BatchNorm2d";
  if (!o.Has("numFeatures")) ThrowArg(env, w, "numFeatures is required");
  int64_t n = o.Int("numFeatures", 0);
  if (n <= 0) ThrowArg(env, w, "numFeatures must be positive, got " + std::to_string(n));
  torch::nn::BatchNorm2dOptions opts(n);
  if (o.Has("eps")) opts.eps(o.Double("eps"));
  // momentum: null means a cumulative moving average, as in PyTorch; absent means 0.1.
  Napi::Value m = o.Get("momentum");
  if (m.IsNull()) opts.momentum(c10::nullopt);
  else if (!m.IsUndefined()) opts.momentum(o.Double("momentum"));
  opts.affine(o.Bool("affine", true));
  opts.track_running_stats(o.Bool("trackRunningStats", true));
  auto layer = std::make_unique<BatchNorm2dLayer>(torch::nn::BatchNorm2d(opts));
  layer->name = "BatchNorm2d(" + std::to_string(n) + ")";
  return layer;
}

std::unique_ptr<Layer> MakeLinear(Napi::Env env, const Options& o) {
  const std::string w = "Linear";
  if (!o.Has("inFeatures") || !o.Has("outFeatures")) ThrowArg(env, w, "inFeatures and outFeatures are required");
  int64_t in = o.Int("inFeatures", 0), out = o.Int("outFeatures", 0);
  if (in < 0 || out < 0) ThrowArg(env, w, "inFeatures and outFeatures must be non-negative");
  auto layer = std::make_unique<LinearLayer>(
      torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(o.Bool("bias", true))));
  layer->name = "Linear(in_features=" + std::to_string(in) + ", out_features=" + std::to_string(out) + ")";
  return layer;
}

struct LayerKind {
  const char* kind;
  std::unique_ptr<Layer> (*make)(Napi::Env env, const Options& options);
};
const LayerKind kLayers[] = {
    {"Conv2d", MakeConv},
    {"BatchNorm2d", MakeBatchNorm},
    {"Linear", MakeLinear},
};

class NnModule : public Napi::ObjectWrap<NnModule> {
 public:
  static void Init(Napi::Env env, Napi::Object target) {
    Napi::Function ctor = DefineClass(env, "NativeModule",
                                      {
                                          InstanceAccessor<&NnModule::Name>("name"),
                                      });
    DefineMethods(env, ctor, {
                     Method<NnModule, &NnModule::Forward>("forward"),
                     Method<NnModule, &NnModule::NamedParameters>("namedParameters"),
                     Method<NnModule, &NnModule::NamedBuffers>("namedBuffers"),
                     Method<NnModule, &NnModule::Train>("train"),
                     Method<NnModule, &NnModule::To>("to")
    });
    // Kept alive by the exports object itself.
    target.Set("NativeModule", ctor);
  }

  // new NativeModule(kind, options): kind is one of kLayers ('Conv2d', 'BatchNorm2d', 'Linear').
  explicit NnModule(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NnModule>(info) {
    Napi::Env env = info.Env();
    // Constructors are called through node-addon-api's own wrapper: Guard gives them the tables' try/catch.
    Guard(env, kAsThrown, [&] {
      if (!info[0].IsString() || !info[1].IsObject()) ThrowArg(env, "NativeModule", "expected (kind, options)");
      std::string kind = info[0].As<Napi::String>();
      for (const LayerKind& k : kLayers)
        if (kind == k.kind) layer_ = k.make(env, Options(env, info[1], kind));
      if (!layer_) ThrowArg(env, "NativeModule", "unknown kind '" + kind + "'");
    });
  }

 private:
  std::unique_ptr<Layer> layer_;

  torch::nn::Module& module() { return layer_->module(); }

  Napi::Value Forward(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::string& name = layer_->name;
    const at::Tensor& x = Tensor::Get(env, info[0], (name + ".forward: input").c_str());
    layer_->Check(env, x, name + ".forward");
    return Guard(env, name + ".forward", [&] { return Tensor::Wrap(env, layer_->Forward(x)); });
  }

  // [[name, Tensor], ...] in libtorch's registration order, which is PyTorch's (weight, bias;
  // running_mean, running_var, num_batches_tracked). The handles are the module's own tensors.
  static Napi::Value Pairs(Napi::Env env, const torch::OrderedDict<std::string, at::Tensor>& dict) {
    Napi::Array out = Napi::Array::New(env);
    uint32_t i = 0;
    for (const auto& item : dict) {
      if (!item.value().defined()) continue;
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, Napi::String::New(env, item.key()));
      pair.Set(1u, WrapKept(env, item.value()));
      out.Set(i++, pair);
    }
    return out;
  }

  Napi::Value NamedParameters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return Pairs(env, module().named_parameters(/*recurse=*/false));
  }

  Napi::Value NamedBuffers(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return Pairs(env, module().named_buffers(/*recurse=*/false));
  }

  Napi::Value Train(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    module().train(ToBool(info[0], true));
    return env.Undefined();
  }

  // to(device|null, dtype|null). Unlike libtorch's Module::to, a dtype applies to floating-point
  // tensors only (num_batches_tracked stays int64), as in PyTorch. set_data keeps each tensor's
  // identity, so the JS handles already given out follow the move.
  Napi::Value To(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    c10::optional<c10::Device> device;
    c10::optional<at::ScalarType> dtype;
    if (info[0].IsString()) device = ParseDevice(env, info[0].As<Napi::String>());
    if (info[1].IsString()) dtype = ParseDtype(env, info[1].As<Napi::String>());
    torch::NoGradGuard no_grad;
    auto move = [&](at::Tensor t) {
      if (!t.defined()) return;
      at::TensorOptions opts = t.options();
      if (device) opts = opts.device(*device);
      if (dtype && at::isFloatingType(t.scalar_type())) opts = opts.dtype(*dtype);
      if (opts.device() == t.device() && opts.dtype() == t.dtype()) return;
      t.set_data(t.detach().to(opts));
      if (t.grad().defined()) t.mutable_grad() = t.grad().to(opts);
    };
    for (auto& p : module().parameters(false)) move(p);
    for (auto& b : module().buffers(false)) move(b);
    return env.Undefined();
  }

  Napi::Value Name(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), layer_->name); }
};

// setData(t, value): PyTorch's `param.data = value` — t keeps its identity (and JS handles).
Napi::Value SetData(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = Tensor::Get(env, info[0], "setData");
  const at::Tensor& v = Tensor::Get(env, info[1], "setData: value");
  t.set_data(v.detach());
  return env.Undefined();
}

const Entry kNn[] = {
    {"setData", SetData, kAsThrown},
};

}  // namespace

void InitNn(Napi::Env env, Napi::Object exports) {
  Napi::Object nn = Napi::Object::New(env);
  NnModule::Init(env, nn);
  Export(env, nn, kNn);
  exports.Set("nn", nn);
}

}  // namespace tn
