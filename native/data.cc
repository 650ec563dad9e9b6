// Support for lib/data: private random generators, so a DataLoader's shuffle order depends on its own
// seed and not on how many random numbers the rest of the program drew from the global generator.
#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

#include "common.h"
#include "entry.h"
#include "data.h"
#include "tensor.h"

namespace tn {

namespace {

// A CPU generator seeded by the caller, as torch.Generator().manual_seed(seed). It lives in a JS
// External and is freed by the garbage collector: it holds no tensor memory, only the Mersenne state.
Napi::Value NewGenerator(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t seed = static_cast<uint64_t>(ToInt(env, info[0], "Generator"));
  auto* gen = new at::Generator(at::detail::createCPUGenerator(seed));
  return Napi::External<at::Generator>::New(env, gen, [](Napi::Env, at::Generator* g) { delete g; });
}

at::Generator& GetGenerator(Napi::Env env, const Napi::Value& v, const char* where) {
  if (!v.IsExternal()) ThrowArg(env, where, "expected a Generator");
  return *v.As<Napi::External<at::Generator>>().Data();
}

// randperm(generator, n): int64 on the CPU, as torch.randperm(n, generator=g). The caller moves it
// to the data's device (one small copy per epoch; the CPU order is then the same on every device).
Napi::Value GeneratorRandperm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Generator& gen = GetGenerator(env, info[0], "randperm");
  int64_t n = ToInt(env, info[1], "randperm");
  if (n < 0) ThrowArg(env, "randperm", "n must be non-negative");
  return Tensor::Wrap(env, at::randperm(n, gen, at::TensorOptions().dtype(at::kLong)));
}

// The generator's state as a uint8 tensor, and back (to checkpoint a loader's shuffle position).
Napi::Value GeneratorGetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Generator& gen = GetGenerator(env, info[0], "getState");
  std::lock_guard<std::mutex> lock(gen.mutex());  // as torch.Generator.get_state does
  return Tensor::Wrap(env, gen.get_state());
}

Napi::Value GeneratorSetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Generator& gen = GetGenerator(env, info[0], "setState");
  const at::Tensor& state = Tensor::Get(env, info[1], "setState");
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
  return env.Undefined();
}

// splitRecords(bytes: Uint8Array, count, recordBytes): fixed-size records of 1 label byte + payload
// (CIFAR's layout) → [labels int64 [count], payload uint8 [count, recordBytes - 1]], contiguous.
// The JS bytes are read in place (from_blob) and copied once: going through tensor() first would
// clone the 180 MB and then copy it again to drop the label column.
Napi::Value SplitRecords(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowArg(env, "splitRecords", "expected a Uint8Array");
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  int64_t count = ToInt(env, info[1], "splitRecords");
  int64_t record = ToInt(env, info[2], "splitRecords");
  if (count < 0 || record < 2 || static_cast<size_t>(count * record) != bytes.ByteLength()) {
    ThrowArg(env, "splitRecords", "the data does not hold count × recordBytes bytes");
  }
  at::Tensor all = at::from_blob(bytes.Data(), {count, record}, at::TensorOptions().dtype(at::kByte));
  at::Tensor labels = all.select(1, 0).to(at::kLong);  // to() copies: a new dtype
  at::Tensor payload = at::empty({count, record - 1}, at::TensorOptions().dtype(at::kByte));
  payload.copy_(all.narrow(1, 1, record - 1));
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Tensor::Wrap(env, labels));
  out.Set(1u, Tensor::Wrap(env, payload));
  return out;
}

const Entry kGenerator[] = {
    {"create", NewGenerator, kAsThrown},
    {"randperm", GeneratorRandperm, kAsThrown},
    {"getState", GeneratorGetState, kAsThrown},
    {"setState", GeneratorSetState, kAsThrown},
};

const Entry kData[] = {
    {"splitRecords", SplitRecords, kAsThrown},
};

}  // namespace

void InitData(Napi::Env env, Napi::Object exports) {
  Napi::Object gen = Napi::Object::New(env);
  Export(env, gen, kGenerator);
  exports.Set("generator", gen);
  Export(env, exports, kData);
}

}  // namespace tn
