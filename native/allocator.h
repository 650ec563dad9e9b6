// The bytes libtorch's CPU allocator holds, counted by a thin wrapper around it, and reported to V8 as
// external memory. A JS handle is a few bytes to V8 while the tensor behind it can pin megabytes (a
// one-element loss keeps its whole autograd graph alive), so per-handle sizes under-report; the
// allocator's total is what JS handles keep alive, and V8 collects when it grows.
#pragma once
#include <napi.h>

#include <cstdint>

namespace tn {

// Installs the counting wrapper over libtorch's CPU allocator (once per process; idempotent).
void InstallCountingAllocator();
// Bytes currently held by CPU tensors allocated through the wrapper (all threads).
int64_t CpuAllocatedBytes();
// Bytes of freed small blocks this thread keeps to hand out again (at most 256 KiB; allocator.cc).
int64_t CpuCachedBytes();
// On a JS thread: tells V8 how the total changed since this thread last reported, when the change is
// large enough to matter. Cheap enough for every op (one atomic load and a compare). `in_tidy`: the
// caller is inside a tidy() scope (which frees what it made when it ends).
void ReportNativeMemory(napi_env env, bool in_tidy);
// V8's external-memory total for this thread's isolate after the last report (what V8 weighs when it
// decides to collect; process.memoryUsage().external counts ArrayBuffers only).
int64_t V8ExternalBytes();

}  // namespace tn
