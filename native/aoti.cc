// torch.export on the native side: a package written by torch._inductor.aoti_compile_and_package(…)
// (a .pt2 zip holding a compiled model .so, its weights and metadata) loaded with libtorch's
// AOTIModelPackageLoader, the C++ side of Python's torch._inductor.aoti_load_package.
//
// The loader exists in libtorch 2.x (libtorch_cpu); on an older libtorch (1.13) this file compiles to
// entries that say which version is needed. The package's inputs are flat tensors (lib/export flattens
// and unflattens them by the package's call spec, as PyTorch's pytree does) and its .so checks
// nothing about them unless AOTI_RUNTIME_CHECK_INPUTS is set, so lib/export checks shapes and dtypes
// first. Runs may be concurrent: the loader's container hands each run one of its `runners` models
// and makes the others wait.
#if __has_include(<torch/csrc/inductor/aoti_package/model_package_loader.h>)
#include <torch/csrc/inductor/aoti_package/model_package_loader.h>
#define TN_WITH_AOTI 1
#endif
#include <torch/torch.h>

#include <memory>

#include "aoti.h"
#include "common.h"
#include "entry.h"
#include "native_object.h"
#include "schema_binder.h"
#include "tensor.h"
#include "worker.h"

namespace tn {

namespace {

// AOTInductor's errors name the runtime's source file and line after the reason: one line, the reason.
std::string AotiMessage(const std::string& raw) {
  std::string msg = CleanMessage(raw);
  size_t nl = msg.find('\n');
  return nl == std::string::npos ? msg : msg.substr(0, nl);
}

Napi::Object StringMap(Napi::Env env, const std::unordered_map<std::string, std::string>& map) {
  Napi::Object out = Napi::Object::New(env);
  for (const auto& [k, v] : map) out.Set(k, v);
  return out;
}

#ifdef TN_WITH_AOTI

using Loader = torch::inductor::AOTIModelPackageLoader;

// The inputs as the package's .so reads them: dense tensors (its kernels index with the strides they
// were compiled for), read by the schema binder on the JS thread so that a wrong argument is a plain TorchError.
std::vector<at::Tensor> InputsFromJs(Napi::Env env, const Napi::Value& v, const std::string& where) {
  std::vector<at::Tensor> inputs = TensorsFromJs(env, v, where, "inputs");
  for (at::Tensor& t : inputs) t = t.contiguous();
  return inputs;
}

Napi::Value OutputsToJs(Napi::Env env, const std::vector<at::Tensor>& outs) {
  Napi::Array arr = Napi::Array::New(env, outs.size());
  for (size_t i = 0; i < outs.size(); ++i) arr.Set(static_cast<uint32_t>(i), Tensor::Wrap(env, outs[i]));
  return arr;
}

class AotiPackage : public NativeObject<AotiPackage, std::shared_ptr<Loader>> {
 public:
  static void Init(Napi::Env env, Napi::Object target) {
    target.Set("AotiPackage", Define(env, "AotiPackage", {InstanceAccessor<&AotiPackage::IsDisposed>("isDisposed")}, {
        Method<AotiPackage, &AotiPackage::Run>("run"),
        Method<AotiPackage, &AotiPackage::RunAsync>("runAsync"),
        Method<AotiPackage, &AotiPackage::Metadata>("metadata"),
        Method<AotiPackage, &AotiPackage::CallSpec>("callSpec"),
        Method<AotiPackage, &AotiPackage::ConstantFqns>("constantFqns"),
        Method<AotiPackage, &AotiPackage::Dispose>("dispose"),
    }));
  }

  explicit AotiPackage(const Napi::CallbackInfo& info) : NativeObject(info, "export.load()") {}

 private:
  // held_: the loader, shared with the runs in flight: dispose() drops this reference, a running job keeps its own.

  Loader& Get(Napi::Env env, const char* where) {
    if (!held_) ThrowArg(env, where, "the package was disposed");
    return *held_;
  }

  // run(inputs[]) / runAsync(inputs[]): the flat inputs (lib/export checked them against the package's specs).
  Napi::Value Invoke(const Napi::CallbackInfo& info, const char* where, bool async) {
    Napi::Env env = info.Env();
    Get(env, where);
    auto prepare = [&] {
      return [loader = held_, inputs = InputsFromJs(env, info[0], where)]() {
        at::NoGradGuard no_grad;
        return loader->run(inputs);
      };
    };
    return RunCall(env, where, async, AotiMessage, prepare, OutputsToJs);
  }

  Napi::Value Run(const Napi::CallbackInfo& info) { return Invoke(info, "forward", false); }
  Napi::Value RunAsync(const Napi::CallbackInfo& info) { return Invoke(info, "forwardAsync", true); }

  Napi::Value Metadata(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return StringMap(env, Get(env, "metadata").get_metadata());
  }

  // [in_spec, out_spec]: PyTorch's pytree specs (JSON) of the exported call's inputs and outputs.
  Napi::Value CallSpec(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto spec = Get(env, "callSpec").get_call_spec();
    Napi::Array out = Napi::Array::New(env, spec.size());
    for (size_t i = 0; i < spec.size(); ++i) out.Set(static_cast<uint32_t>(i), spec[i]);
    return out;
  }

  Napi::Value ConstantFqns(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto names = Get(env, "constantFqns").get_constant_fqns();
    Napi::Array out = Napi::Array::New(env, names.size());
    for (size_t i = 0; i < names.size(); ++i) out.Set(static_cast<uint32_t>(i), names[i]);
    return out;
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    held_.reset();
    return info.Env().Undefined();
  }

  Napi::Value IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !held_); }
};

std::string PathArg(const Napi::CallbackInfo& info, const char* where) {
  if (!info[0].IsString()) ThrowArg(info.Env(), where, "expected a file path");
  return info[0].As<Napi::String>();
}

// load(path, deviceIndex, runners): the device type is the package's own (lib/export checked it against
// what was asked and what this machine has); deviceIndex -1 is the current device.
Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, "export.load");
  auto index = static_cast<c10::DeviceIndex>(Given(info, 1) ? ToInt(env, info[1], "export.load") : -1);
  size_t runners = Given(info, 2) ? static_cast<size_t>(ToInt(env, info[2], "export.load")) : 1;
  return Guard(env, "export.load('" + path + "')", [&] {
    return AotiPackage::Create(env, std::make_shared<Loader>(path, "model", false, runners, index));
  }, AotiMessage);
}

// readMetadata(path): the package's metadata without loading its .so (device, platform, user keys).
Napi::Value ReadMetadata(const Napi::CallbackInfo& info) {
  std::string path = PathArg(info, "export.load");
  return StringMap(info.Env(), Loader::load_metadata_from_package(path, "model"));
}

#else  // no AOTInductor in this libtorch

Napi::Value Unavailable(const Napi::CallbackInfo& info) {
  throw TorchError(info.Env(), "export.load: AOTInductor packages (.pt2) need libtorch 2.6 or newer (this is " +
                                   std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) +
                                   "." + std::to_string(TORCH_VERSION_PATCH) + ")");
}

#endif

}  // namespace

void InitAoti(Napi::Env env, Napi::Object exports) {
  Napi::Object ex = Napi::Object::New(env);
#ifdef TN_WITH_AOTI
  AotiPackage::Init(env, ex);
  static const Entry entries[] = {
      {"load", Load, kAsThrown},
      {"readMetadata", ReadMetadata, "export.load"},
  };
  ex.Set("available", true);
#else
  static const Entry entries[] = {
      {"load", Unavailable, kAsThrown},
      {"readMetadata", Unavailable, kAsThrown},
  };
  ex.Set("available", false);
#endif
  Export(env, ex, entries);
  exports.Set("export", ex);
}

}  // namespace tn
