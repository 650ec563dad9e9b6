// The process group as distributed.cc holds it, for reducer.cc and store.cc: the backend base class, the default group,
// and the flattening of tensor lists into one buffer per dtype and device (any strides).
#pragma once
#include <napi.h>

#include "distributed.h"

#if defined(TORCH_NODE_WITH_GLOO) || defined(TORCH_NODE_WITH_NCCL)
#define TORCH_NODE_WITH_DIST 1
#include <torch/torch.h>
#include <chrono>
#include <torch/version.h>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif
#include <functional>
#include <string>
#include <vector>
#endif

namespace tn {
#ifdef TORCH_NODE_WITH_DIST
namespace dist {
// The backend base class: c10d::Backend in 2.x, c10d::ProcessGroup in 1.13 (whose ProcessGroupGloo and
// ProcessGroupNCCL derive from it directly); collectives are its virtual methods.
#if TORCH_VERSION_MAJOR >= 2
using Group = c10d::Backend;
#else
using Group = c10d::ProcessGroup;
#endif
using WorkPtr = c10::intrusive_ptr<c10d::Work>;

// The default group, or a TorchError naming `where` when there is none.
c10::intrusive_ptr<Group> Current(Napi::Env env, const char* where);
// The default group's store, or the same TorchError.
c10::intrusive_ptr<c10d::Store> DefaultStore(Napi::Env env, const char* where);
// The default group's backend name ('gloo' or 'nccl') and timeout.
std::string CurrentBackend();
std::chrono::milliseconds CurrentTimeout();

// Tensors grouped by dtype and device and flattened in logical order, one buffer per group: one collective each
// instead of one per tensor; non-contiguous tensors are copied in and (Unflatten) back.
struct Flat {
  std::vector<at::Tensor> members;
  at::Tensor buffer;
  bool shared = false;  // one contiguous tensor: the buffer is a view of it, nothing to copy back
};
std::vector<Flat> Flatten(const std::vector<at::Tensor>& tensors);
void Unflatten(const Flat& g);
}  // namespace dist
#endif
}  // namespace tn
