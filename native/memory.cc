// Scopes for tidy(), keep(), and memory(): what is alive, counted from the wrappers themselves.
#include "memory.h"

#include <map>
#include <unordered_map>
#include <unordered_set>

#include "allocator.h"
#include "common.h"
#include "entry.h"
#include "cuda.h"
#include "per_thread.h"
#include "tensor.h"

namespace tn {

namespace {

struct Scope {
  Tensor* head = nullptr;
  size_t count = 0;
};

// all[0] is the root; tidy() pushes and pops above it. Strictly nested, so a wrapper's scope index is
// never above the current depth. Per thread (per_thread.h), so worker_threads (each its own JS thread,
// finalizers included) keep separate registries.
struct Scopes {
  std::vector<Scope> all = std::vector<Scope>(1);
};

std::vector<Scope>& ThreadScopes() { return PerThread<Scopes>::Get().all; }

void Link(std::vector<Scope>& scopes, Tensor* t, int index) {
  Scope& s = scopes[index];
  t->scope = index;
  t->prev = nullptr;
  t->next = s.head;
  if (s.head) s.head->prev = t;
  s.head = t;
  ++s.count;
}

void Unlink(std::vector<Scope>& scopes, Tensor* t) {
  Scope& s = scopes[t->scope];
  if (t->prev) t->prev->next = t->next;
  else s.head = t->next;
  if (t->next) t->next->prev = t->prev;
  t->prev = t->next = nullptr;
  t->scope = -1;
  --s.count;
}

Napi::Value StartScope(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<Scope>& scopes = ThreadScopes();
  scopes.emplace_back();
  return Napi::Number::New(env, static_cast<double>(scopes.size() - 1));
}

// endScope(depth, keep[]): frees every tensor made in the scope except those in `keep`,
// which move to the parent scope (so an outer tidy still owns them).
Napi::Value EndScope(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int depth = static_cast<int>(ToInt(env, info[0], "endScope"));
  std::vector<Scope>& scopes = ThreadScopes();
  if (depth != static_cast<int>(scopes.size()) - 1 || depth == 0) {
    ThrowArg(env, "tidy", "scopes ended out of order (was tidy() given an async function?)");
  }
  // The kept handles with their JS objects: one that reaches the root needs its finalizer attached.
  std::unordered_map<Tensor*, Napi::Value> keep;
  if (info[1].IsArray()) {
    Napi::Array arr = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value v = arr.Get(i);
      if (Tensor* t = Tensor::FromValue(v)) keep.emplace(t, v);
    }
  }
  while (Tensor* t = scopes[depth].head) {
    auto kept = keep.find(t);
    if (kept != keep.end()) {
      t->MoveTo(env, kept->second, depth - 1);
    } else {
      t->Release();
    }
  }
  scopes.pop_back();
  return env.Undefined();
}

// keep(t): the tensor survives every enclosing tidy().
Napi::Value Keep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Tensor* t = Tensor::FromValue(info[0]);
  if (t == nullptr) ThrowArg(env, "keep", "expected a Tensor");
  if (t->scope > 0) t->MoveTo(env, info[0], 0);
  return info[0];
}

// memory(): {liveTensors, devices: {cpu: {tensors, bytes}, 'cuda:0': {...}}, cuda: allocator stats}.
// Bytes count each storage once, however many views share it.
Napi::Value Memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct Usage {
    size_t tensors = 0;
    size_t bytes = 0;
  };
  std::map<std::string, Usage> usage;
  std::unordered_set<const void*> storages;
  size_t live = 0;
  const std::vector<Scope>& scopes = ThreadScopes();
  for (const Scope& s : scopes) {
    for (Tensor* t = s.head; t; t = t->next) {
      if (!t->tensor.defined()) continue;
      ++live;
      Usage& u = usage[DeviceName(t->tensor.device())];
      ++u.tensors;
      if (t->tensor.has_storage()) {
        const void* impl = t->tensor.storage().unsafeGetStorageImpl();
        if (storages.insert(impl).second) u.bytes += t->tensor.storage().nbytes();
      }
    }
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("liveTensors", Napi::Number::New(env, static_cast<double>(live)));
  Napi::Object devices = Napi::Object::New(env);
  for (const auto& [name, u] : usage) {
    Napi::Object d = Napi::Object::New(env);
    d.Set("tensors", Napi::Number::New(env, static_cast<double>(u.tensors)));
    d.Set("bytes", Napi::Number::New(env, static_cast<double>(u.bytes)));
    devices.Set(name, d);
  }
  out.Set("devices", devices);
  out.Set("scopeDepth", Napi::Number::New(env, static_cast<double>(scopes.size() - 1)));
  // All of libtorch's CPU tensor memory, handles or not (autograd graphs, optimizer state): what V8 is told.
  out.Set("cpuAllocatedBytes", Napi::Number::New(env, static_cast<double>(CpuAllocatedBytes())));
  // Freed small blocks this thread keeps for reuse: not in cpuAllocatedBytes (CUDA's reserved vs allocated).
  out.Set("cpuCachedBytes", Napi::Number::New(env, static_cast<double>(CpuCachedBytes())));
  out.Set("v8ExternalBytes", Napi::Number::New(env, static_cast<double>(V8ExternalBytes())));
  out.Set("cuda", CudaMemoryStats(env));
  return out;
}

}  // namespace

bool InTidyScope() { return ThreadScopes().size() > 1; }

std::pair<int, size_t> RegistryAdd(Tensor* t, int scope) {
  std::vector<Scope>& all = ThreadScopes();
  if (scope < 0) scope = static_cast<int>(all.size()) - 1;
  Link(all, t, scope);
  return {scope, all[scope].count};
}

void RegistryRemove(Tensor* t) {
  if (t->scope >= 0) Unlink(ThreadScopes(), t);
}

void RegistryMove(Tensor* t, int scope) {
  std::vector<Scope>& all = ThreadScopes();
  Unlink(all, t);
  Link(all, t, scope);
}

const Entry kMemory[] = {
    {"startScope", StartScope},
    {"endScope", EndScope, "tidy"},
    {"keep", Keep},
    {"memory", Memory},
};

void InitMemory(Napi::Env env, Napi::Object exports) { Export(env, exports, kMemory); }

}  // namespace tn
