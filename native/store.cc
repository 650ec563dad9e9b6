// c10d's key-value stores, as torch.distributed's Store: a TCPStore of the caller's own (PyTorch's
// dist.TCPStore(host, port, world_size, is_master, timeout, wait_for_workers)), or the default process group's
// (its TCPStore under the group's prefix, what fit() agrees on its stop step through). Every call is a round
// trip to the store's server (and get/wait may wait for another process), so each runs on the libuv pool: the
// JS thread never waits on the network. Values are bytes (Node Buffers) both ways, as in PyTorch.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "common.h"
#include "entry.h"
#include "process_group.h"
#include "worker.h"

#ifdef TORCH_NODE_WITH_DIST
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace tn {

namespace {

#ifdef TORCH_NODE_WITH_DIST

using StorePtr = c10::intrusive_ptr<c10d::Store>;
using Bytes = std::vector<uint8_t>;

Napi::Value Handle(Napi::Env env, StorePtr store) {
  return Napi::External<StorePtr>::New(env, new StorePtr(std::move(store)), [](Napi::Env, StorePtr* p) { delete p; });
}

StorePtr Get(const Napi::CallbackInfo& info, const char* where) {
  if (!info[0].IsExternal()) ThrowArg(info.Env(), where, "expected a store made by TCPStore or the default group");
  return *info[0].As<Napi::External<StorePtr>>().Data();
}

std::string Key(const Napi::CallbackInfo& info, size_t i, const char* where) {
  if (!info[i].IsString()) ThrowArg(info.Env(), where, "key must be a string");
  return info[i].As<Napi::String>();
}

std::vector<std::string> Keys(const Napi::CallbackInfo& info, size_t i, const char* where) {
  if (!info[i].IsArray()) ThrowArg(info.Env(), where, "keys must be an array of strings");
  auto arr = info[i].As<Napi::Array>();
  std::vector<std::string> keys;
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr.Get(k);
    if (!v.IsString()) ThrowArg(info.Env(), where, "keys must be an array of strings");
    keys.push_back(v.As<Napi::String>());
  }
  return keys;
}

// lib/distributed/store.ts turns strings into Buffers (UTF-8) before they get here.
Bytes Value(const Napi::CallbackInfo& info, size_t i, const char* where) {
  if (!info[i].IsBuffer()) ThrowArg(info.Env(), where, "value must be a string or a Uint8Array");
  auto buf = info[i].As<Napi::Buffer<uint8_t>>();
  return Bytes(buf.Data(), buf.Data() + buf.Length());
}

Finish BytesResult(Bytes bytes) {
  auto held = std::make_shared<Bytes>(std::move(bytes));
  return [held](Napi::Env env) -> Napi::Value { return Napi::Buffer<uint8_t>::Copy(env, held->data(), held->size()); };
}

template <typename T>
Finish ValueResult(T value) {
  return [value](Napi::Env env) -> Napi::Value {
    if constexpr (std::is_same_v<T, bool>) return Napi::Boolean::New(env, value);
    else return Napi::Number::New(env, static_cast<double>(value));
  };
}

// tcpStore(host, port, worldSize (-1: not given), isMaster, timeoutMs, waitForWorkers): the store once it is
// up (the master's server listening, a client connected; with waitForWorkers, the master once worldSize
// clients have joined).
Napi::Value NewTcpStore(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "TCPStore";
  if (!info[0].IsString()) ThrowArg(env, where, "hostName must be a string");
  std::string host = info[0].As<Napi::String>();
  int64_t port = ToInt(env, info[1], where);
  int64_t world = ToInt(env, info[2], where);
  bool is_master = ToBool(info[3], false);
  int64_t timeout_ms = ToInt(env, info[4], where);
  bool wait_workers = ToBool(info[5], true);
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(port);
  opts.isServer = is_master;
  if (world >= 0) opts.numWorkers = static_cast<std::size_t>(world);
  opts.waitWorkers = wait_workers;
  opts.timeout = std::chrono::milliseconds(timeout_ms);
  return QueueJob(env, where, [host, opts]() -> Finish {
    StorePtr store = c10::make_intrusive<c10d::TCPStore>(host, opts);
    return [store](Napi::Env env) { return Handle(env, store); };
  });
}

// defaultStore(): the default group's store (a TorchError before initProcessGroup).
Napi::Value DefaultStore(const Napi::CallbackInfo& info) { return Handle(info.Env(), dist::DefaultStore(info.Env(), "defaultStore")); }

Napi::Value Set(const Napi::CallbackInfo& info) {
  const char* where = "Store.set";
  StorePtr s = Get(info, where);
  std::string key = Key(info, 1, where);
  Bytes value = Value(info, 2, where);
  return QueueVoidJob(info.Env(), where, [s, key, value]() { s->set(key, value); });
}

// get: the value, waiting (up to the store's timeout) until some process has set the key.
Napi::Value GetValue(const Napi::CallbackInfo& info) {
  const char* where = "Store.get";
  StorePtr s = Get(info, where);
  std::string key = Key(info, 1, where);
  return QueueJob(info.Env(), where, [s, key]() { return BytesResult(s->get(key)); });
}

// add: the key's integer value plus `amount` (a key not set counts as 0); resolves with the new value.
Napi::Value Add(const Napi::CallbackInfo& info) {
  const char* where = "Store.add";
  StorePtr s = Get(info, where);
  std::string key = Key(info, 1, where);
  int64_t amount = ToInt(info.Env(), info[2], where);
  return QueueJob(info.Env(), where, [s, key, amount]() { return ValueResult(s->add(key, amount)); });
}

// compareSet: `desired` where the key holds `expected` (empty: a key not set yet); resolves with the value the
// key holds afterwards, so the first of competing writers wins and every writer learns which value won.
Napi::Value CompareSet(const Napi::CallbackInfo& info) {
  const char* where = "Store.compareSet";
  StorePtr s = Get(info, where);
  std::string key = Key(info, 1, where);
  Bytes expected = Value(info, 2, where);
  Bytes desired = Value(info, 3, where);
  return QueueJob(info.Env(), where, [s, key, expected, desired]() { return BytesResult(s->compareSet(key, expected, desired)); });
}

// check: whether every key is set, without waiting.
Napi::Value Check(const Napi::CallbackInfo& info) {
  const char* where = "Store.check";
  StorePtr s = Get(info, where);
  auto keys = Keys(info, 1, where);
  return QueueJob(info.Env(), where, [s, keys]() { return ValueResult(s->check(keys)); });
}

// wait(keys, timeoutMs (-1: the store's)): until every key is set.
Napi::Value Wait(const Napi::CallbackInfo& info) {
  const char* where = "Store.wait";
  StorePtr s = Get(info, where);
  auto keys = Keys(info, 1, where);
  int64_t timeout_ms = info[2].IsUndefined() ? -1 : ToInt(info.Env(), info[2], where);
  return QueueVoidJob(info.Env(), where, [s, keys, timeout_ms]() {
    if (timeout_ms < 0) s->wait(keys);
    else s->wait(keys, std::chrono::milliseconds(timeout_ms));
  });
}

Napi::Value DeleteKey(const Napi::CallbackInfo& info) {
  const char* where = "Store.deleteKey";
  StorePtr s = Get(info, where);
  std::string key = Key(info, 1, where);
  return QueueJob(info.Env(), where, [s, key]() { return ValueResult(s->deleteKey(key)); });
}

Napi::Value NumKeys(const Napi::CallbackInfo& info) {
  const char* where = "Store.numKeys";
  StorePtr s = Get(info, where);
  return QueueJob(info.Env(), where, [s]() { return ValueResult(s->getNumKeys()); });
}

const Entry kStore[] = {
    {"tcpStore", NewTcpStore, kAsThrown},
    {"defaultStore", DefaultStore, kAsThrown},
    {"storeSet", Set, kAsThrown},
    {"storeGet", GetValue, kAsThrown},
    {"storeAdd", Add, kAsThrown},
    {"storeCompareSet", CompareSet, kAsThrown},
    {"storeCheck", Check, kAsThrown},
    {"storeWait", Wait, kAsThrown},
    {"storeDeleteKey", DeleteKey, kAsThrown},
    {"storeNumKeys", NumKeys, kAsThrown},
};

#endif  // TORCH_NODE_WITH_DIST

}  // namespace

#ifdef TORCH_NODE_WITH_DIST
void InitStore(Napi::Env env, Napi::Object dist) { Export(env, dist, kStore); }
#else
// No backend, no stores: lib/distributed checks isAvailable() first and says why.
void InitStore(Napi::Env, Napi::Object) {}
#endif

}  // namespace tn
