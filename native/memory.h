// The registry of live JS tensors: a stack of scopes (tidy) with one intrusive list each.
// Scope 0 holds tensors made outside any tidy() and those kept with keep().
#pragma once
#include <napi.h>

#include <utility>

namespace tn {

class Tensor;

// Into `scope`, or the innermost when it is negative; returns the scope's index and how many handles it
// holds now (one lookup of the per-thread registry on the hottest path).
std::pair<int, size_t> RegistryAdd(Tensor* t, int scope);
void RegistryRemove(Tensor* t);  // on dispose or finalization
void RegistryMove(Tensor* t, int scope);
// True inside a tidy() on this thread: what is made there is freed when the scope ends.
bool InTidyScope();

void InitMemory(Napi::Env env, Napi::Object exports);

}  // namespace tn
