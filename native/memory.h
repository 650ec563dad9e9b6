// The registry of live JS tensors: a stack of scopes (tidy) with one intrusive list each.
// Scope 0 holds tensors made outside any tidy() and those kept with keep().
#pragma once
#include <napi.h>

namespace tn {

class Tensor;

void RegistryAdd(Tensor* t, int scope);  // into `scope` (CurrentScope(): the innermost)
int CurrentScope();
size_t ScopeSize(int scope);  // the handles alive in it
void RegistryRemove(Tensor* t);  // on dispose or finalization
void RegistryMove(Tensor* t, int scope);
// True inside a tidy() on this thread: what is made there is freed when the scope ends.
bool InTidyScope();

void InitMemory(Napi::Env env, Napi::Object exports);

}  // namespace tn
