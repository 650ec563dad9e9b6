// torch.distributed over PyTorch's own c10d: a TCPStore rendezvous and a ProcessGroupGloo (or, in a build
// with NCCL, a ProcessGroupNCCL), the default process group of this process (PyTorch's init_process_group /
// destroy_process_group). The group is held as the backend base class (c10d::Backend in 2.x,
// c10d::ProcessGroup in 1.13): every collective is a virtual call, whichever backend made it.
//
// Threads: collectives are *issued* on the JS thread, in call order (c10d matches collectives across
// ranks by issue order; gloo runs them on its own threads). Their completion is a callback on the work's
// future, on gloo's thread, which hands the result to the JS thread through a thread-safe function: one
// thread hop, as PyTorch's wait() (a libuv pool worker waiting on the work would add a second, which on a
// loaded machine costs more than the all-reduce itself). Rendezvous and teardown run on the libuv pool.
// Tensors passed in are shared with the collective until the promise settles, as with PyTorch's
// async_op=True work handles.
//
// ABI: the 2.x wheel ships c10d's headers but not gloo's, so this file compiles against Debian's
// libgloo-dev headers (CMake finds them; without them the functions throw). That is safe because this
// file never constructs or calls into a gloo type: it only copies a std::shared_ptr<gloo::transport::
// Device> that libtorch's exported factory made, fills ProcessGroupGloo::Options (whose layout has no
// gloo type by value) and calls exported constructors and virtual methods of c10d classes. The inline
// GlooStore adapter in the header, the only code whose shape depends on gloo's version, is only ever
// instantiated inside libtorch.
#include "process_group.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "common.h"
#include "worker.h"
#include "entry.h"
#include "tensor.h"

#ifdef TORCH_NODE_WITH_DIST
#include <ATen/MemoryOverlap.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef TORCH_NODE_WITH_GLOO
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1  // the header guards ProcessGroupGloo behind the macro libtorch was built with
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef TORCH_NODE_WITH_NCCL
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL 1
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace tn {

namespace {

#ifdef TORCH_NODE_WITH_DIST

using dist::Group;
using dist::WorkPtr;
using dist::Flat;
using dist::Flatten;
using dist::Unflatten;

// The default group. Leaked on purpose: at process exit its destructor would join gloo's threads,
// which can wait on a dead peer; the OS closes the sockets instead.
struct State {
  std::mutex mutex;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Group> group;
  int rank = -1;
  int size = -1;
  std::string backend;
  std::chrono::milliseconds timeout{0};
};
State& Default() {
  static State* state = new State();
  return *state;
}

c10::intrusive_ptr<Group> Current(Napi::Env env, const char* where) {
  State& s = Default();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.group) {
    throw TorchError(env, std::string(where) +
                              ": Default process group has not been initialized, please make sure to call "
                              "initProcessGroup.");
  }
  return s.group;
}

#ifdef TORCH_NODE_WITH_GLOO
std::shared_ptr<::gloo::transport::Device> MakeDevice() {
  // GLOO_SOCKET_IFNAME picks the interface, as in PyTorch; otherwise the machine's hostname address,
  // falling back to loopback (libtorch's own default device).
  const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname != nullptr && *ifname != '\0') return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

// Runs `job` on the libuv pool (worker.h); the promise resolves with undefined or rejects with a
// TorchError that names the collective.
Napi::Value Queue(Napi::Env env, const std::string& where, std::function<void()> job) {
  return QueueVoidJob(env, where, std::move(job));
}

// Settles a promise when every work is done: `post` (copies out of flattened buffers) runs on the thread
// that completes the last work, then the promise resolves or rejects (with the first error) on the JS thread.
// CUDA works end on their own streams (NCCL's, gloo's staging streams): for them the JS thread calls wait(),
// which, the work being done, only makes its current stream wait for theirs (PyTorch's Work.wait()), and
// runs `post` after it, so that whatever JS does next on that stream sees the results.
struct Pending {
  explicit Pending(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise::Deferred deferred;
  Napi::ThreadSafeFunction tsfn;
  std::string where;
  std::function<void()> post;
  std::vector<WorkPtr> works;  // kept for the JS thread's wait() when on_device
  bool on_device = false;
  std::atomic<int> left{0};
  std::mutex mutex;
  std::string error;

  void Fail(const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex);
    if (error.empty()) error = message.empty() ? "collective failed" : message;
  }
  // post(), its exception as the error.
  void RunPost() {
    if (!error.empty() || !post) return;
    try {
      post();
    } catch (const c10::Error& e) {
      Fail(e.what_without_backtrace());
    } catch (const std::exception& e) {
      Fail(e.what());
    }
  }
};

// On the JS thread: for CUDA works, the stream synchronisation and `post`; then the promise settles.
void Settle(Napi::Env env, const std::shared_ptr<Pending>& p) {
  if (p->on_device && p->error.empty()) {
    try {
      for (const auto& work : p->works) work->wait();
    } catch (const c10::Error& e) {
      p->Fail(e.what_without_backtrace());
    } catch (const std::exception& e) {
      p->Fail(e.what());
    }
    p->RunPost();
  }
  p->post = nullptr;  // drop the tensors
  p->works.clear();
  if (p->error.empty()) {
    p->deferred.Resolve(env.Undefined());
  } else {
    p->deferred.Reject(TorchError(env, p->where + ": " + CleanMessage(p->error)).Value());
  }
}

void Finish(const std::shared_ptr<Pending>& p) {
  if (!p->on_device) {
    p->RunPost();
    p->post = nullptr;
    p->works.clear();
  }
  p->tsfn.BlockingCall([p](Napi::Env env, Napi::Function) {
    try {  // see PoolWorker::OnOK (worker.cc)
      Napi::HandleScope scope(env);
      Settle(env, p);
    } catch (const Napi::Error&) {
    }
  });
  p->tsfn.Release();
}

// `on_device`: the collective's tensors are CUDA tensors (see Pending).
Napi::Value Await(Napi::Env env, const std::string& where, const std::vector<WorkPtr>& works, std::function<void()> post,
                  bool on_device = false) {
  auto p = std::make_shared<Pending>(env);
  p->where = where;
  p->post = std::move(post);
  p->on_device = on_device;
  if (on_device) p->works = works;
  p->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "torch.distributed", 0, 1);
  p->left = static_cast<int>(works.size());
  Napi::Promise promise = p->deferred.Promise();
  if (works.empty()) {
    Finish(p);
    return promise;
  }
  for (const auto& work : works) {
    // The callback runs on gloo's thread when the work ends (or here at once if it already has).
    work->getFuture()->addCallback([p](c10::ivalue::Future& f) {
      try {
        if (f.hasError()) p->Fail(f.tryRetrieveErrorMessage());
      } catch (...) {
        p->Fail("collective failed");
      }
      if (--p->left == 0) Finish(p);
    });
  }
  return promise;
}

// Whether any of the tensors is a CUDA tensor.
bool AnyCuda(const std::vector<at::Tensor>& tensors) {
  return std::any_of(tensors.begin(), tensors.end(), [](const at::Tensor& t) { return t.is_cuda(); });
}

// The tensors of a collective. Any strides: a tensor that is not contiguous (channels_last parameters, a
// slice) travels through a contiguous copy (Flatten), as PyTorch's DDP flattens its broadcast; only a tensor
// whose elements overlap (an expanded view) is refused, since writing the result back into it is ambiguous.
// NCCL takes CUDA tensors; gloo takes CPU tensors and, in a CUDA build, CUDA tensors too (libtorch's
// ProcessGroupGloo stages them through pinned host memory on its own streams, as in PyTorch).
std::vector<at::Tensor> TensorList(Napi::Env env, const Napi::Value& v, const char* where) {
  if (!v.IsArray()) ThrowArg(env, where, "expected an array of tensors");
  const bool nccl = dist::CurrentBackend() == "nccl";
  auto arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const at::Tensor& t = Tensor::Get(env, arr.Get(i), where);
    const std::string which = " (tensor " + std::to_string(i) + ")";
    if (at::has_internal_overlap(t) == at::MemOverlap::Yes) {
      ThrowArg(env, where, "tensors must not overlap in memory (an expanded view); pass a .clone()" + which);
    }
    if (nccl && !t.is_cuda()) {
      ThrowArg(env, where, "the nccl group takes CUDA tensors" + which + " is on " + DeviceName(t.device()) + ")");
    }
    if (!nccl && !t.is_cpu() && !t.is_cuda()) {
      ThrowArg(env, where, "the gloo group takes CPU or CUDA tensors" + which + " is on " + DeviceName(t.device()) + ")");
    }
    out.push_back(t);
  }
  return out;
}

c10d::ReduceOp ParseOp(Napi::Env env, const std::string& op, const char* where) {
  if (op == "sum" || op == "avg") return c10d::ReduceOp(c10d::ReduceOp::SUM);
  if (op == "product") return c10d::ReduceOp(c10d::ReduceOp::PRODUCT);
  if (op == "max") return c10d::ReduceOp(c10d::ReduceOp::MAX);
  if (op == "min") return c10d::ReduceOp(c10d::ReduceOp::MIN);
  ThrowArg(env, where, "op must be 'sum', 'avg', 'product', 'max' or 'min', got '" + op + "'");
}

// initProcessGroup(masterAddr, masterPort, rank, worldSize, timeoutMs, isServer, prefix): the TCPStore
// (hosted by rank 0, which waits for every rank to connect, or by torchrun's agent: isServer false for
// all), keys under `prefix`, then the backend's rendezvous through it (gloo's full mesh, or NCCL's unique id).
// info[7] is the backend, 'gloo' (the default) or 'nccl'.
c10::intrusive_ptr<Group> MakeGroup(const std::string& backend, const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                    int size, std::chrono::milliseconds timeout) {
#ifdef TORCH_NODE_WITH_NCCL
  if (backend == "nccl") {
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
  }
#endif
#ifdef TORCH_NODE_WITH_GLOO
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  options->devices.push_back(MakeDevice());
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
#else
  throw std::runtime_error("backend 'gloo' is not in this build (apt-get install libgloo-dev, then rebuild: npm run build)");
#endif
}

void CheckBackend(Napi::Env env, const std::string& backend) {
  const char* where = "initProcessGroup";
  if (backend == "nccl") {
#ifdef TORCH_NODE_WITH_NCCL
    if (!torch::cuda::is_available()) {
#ifdef TORCH_NODE_WITH_GLOO
      ThrowArg(env, where, "backend 'nccl' needs a CUDA GPU, and this machine has none (torch.cuda.isAvailable() is false); use 'gloo'");
#else
      ThrowArg(env, where, "backend 'nccl' needs a CUDA GPU, and this machine has none (torch.cuda.isAvailable() is false)");
#endif
    }
#else
    ThrowArg(env, where, "backend 'nccl' needs a CUDA libtorch built with NCCL and NCCL's header (nccl.h) at build time; this build has 'gloo' only");
#endif
  } else if (backend == "gloo") {
#ifndef TORCH_NODE_WITH_GLOO
    ThrowArg(env, where, "backend 'gloo' is not in this build (apt-get install libgloo-dev, then rebuild: npm run build)");
#endif
  } else {
    ThrowArg(env, where, "unknown backend '" + backend + "' (expected 'gloo' or 'nccl')");
  }
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "initProcessGroup";
  if (!info[0].IsString()) ThrowArg(env, where, "expected the master address");
  std::string host = info[0].As<Napi::String>();
  int64_t port = ToInt(env, info[1], where);
  int64_t rank = ToInt(env, info[2], where);
  int64_t size = ToInt(env, info[3], where);
  int64_t timeout_ms = ToInt(env, info[4], where);
  bool is_server = ToBool(info[5], rank == 0);
  std::string prefix = info[6].IsString() ? info[6].As<Napi::String>().Utf8Value() : "";
  std::string backend = info[7].IsString() ? info[7].As<Napi::String>().Utf8Value() : "gloo";
  CheckBackend(env, backend);
  if (port < 1 || port > 65535) ThrowArg(env, where, "master port must be in 1..65535, got " + std::to_string(port));
  if (size < 1) ThrowArg(env, where, "worldSize must be positive, got " + std::to_string(size));
  if (rank < 0 || rank >= size) {
    ThrowArg(env, where, "rank must be in [0, worldSize), got rank " + std::to_string(rank) + " of " + std::to_string(size));
  }
  if (timeout_ms < 1) ThrowArg(env, where, "timeout must be positive");
  {
    State& s = Default();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.group) ThrowArg(env, where, "trying to initialize the default process group twice!");
  }
  std::chrono::milliseconds timeout(timeout_ms);
  auto job = [host, port, rank, size, timeout, is_server, prefix, backend]() {
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<std::uint16_t>(port);
    opts.isServer = is_server;
    opts.numWorkers = static_cast<std::size_t>(size);
    opts.waitWorkers = true;
    opts.timeout = timeout;
    c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(host, opts);
    if (!prefix.empty()) store = c10::make_intrusive<c10d::PrefixStore>(prefix, store);
    // Every rank states its world size: a rank started with another one fails here with both numbers
    // instead of waiting in gloo's rendezvous for ranks that do not exist.
    std::string expected = std::to_string(size);
    if (rank == 0) store->set("torch_node/world_size", std::vector<uint8_t>(expected.begin(), expected.end()));
    auto got = store->get("torch_node/world_size");
    std::string master(got.begin(), got.end());
    if (master != expected) {
      throw std::runtime_error("rank " + std::to_string(rank) + " was started with worldSize " + expected +
                               " but rank 0 with worldSize " + master);
    }
    auto group = MakeGroup(backend, store, static_cast<int>(rank), static_cast<int>(size), timeout);
    State& s = Default();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.group) throw std::runtime_error("trying to initialize the default process group twice!");
    s.store = store;
    s.group = group;
    s.rank = static_cast<int>(rank);
    s.size = static_cast<int>(size);
    s.backend = backend;
    s.timeout = timeout;
  };
  return Queue(env, where, job);
}

Napi::Value Destroy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = Default();
  c10::intrusive_ptr<Group> group;
  c10::intrusive_ptr<c10d::Store> store;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    group = std::move(s.group);
    store = std::move(s.store);
    s.rank = s.size = -1;
  }
  // The group's destructor drains its queue and joins gloo's threads: off the JS thread.
  return Queue(env, "destroyProcessGroup", [group = std::move(group), store = std::move(store)]() mutable {
    group.reset();
    store.reset();
  });
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = Default();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.group) return env.Null();
  Napi::Object out = Napi::Object::New(env);
  out.Set("rank", s.rank);
  out.Set("worldSize", s.size);
  out.Set("backend", s.backend);
  out.Set("timeout", static_cast<double>(s.timeout.count()));
  return out;
}

// allReduce(tensors, op): in place, one collective per dtype over the flattened tensors.
// 'avg' is a sum divided by the world size (gloo has no AVG; PyTorch's DDP averages the same way).
Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "allReduce";
  auto group = Current(env, where);
  auto tensors = TensorList(env, info[0], where);
  std::string op = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "sum";
  c10d::AllreduceOptions opts;
  opts.reduceOp = ParseOp(env, op, where);
  for (const auto& t : tensors) {
    if (op == "avg" && !at::isFloatingType(t.scalar_type())) ThrowArg(env, where, "op 'avg' needs floating-point tensors");
  }
  auto flats = std::make_shared<std::vector<Flat>>(Flatten(tensors));
  std::vector<WorkPtr> works;
  for (auto& f : *flats) {
    std::vector<at::Tensor> one{f.buffer};
    works.push_back(group->allreduce(one, opts));
  }
  double divide = op == "avg" ? static_cast<double>(group->getSize()) : 1.0;
  return Await(env, where, works, [flats, divide]() {
    at::NoGradGuard no_grad;  // the buffers may be views of parameters, made under no_grad
    for (auto& f : *flats) {
      if (divide != 1.0) f.buffer.div_(divide);
      Unflatten(f);
    }
  }, AnyCuda(tensors));
}

// broadcast(tensors, src): every rank's tensors take rank src's values.
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "broadcast";
  auto group = Current(env, where);
  auto tensors = TensorList(env, info[0], where);
  int64_t src = ToInt(env, info[1], where);
  if (src < 0 || src >= group->getSize()) {
    ThrowArg(env, where, "src must be a rank in [0, " + std::to_string(group->getSize()) + "), got " + std::to_string(src));
  }
  c10d::BroadcastOptions opts;
  opts.rootRank = src;
  opts.rootTensor = 0;
  auto flats = std::make_shared<std::vector<Flat>>(Flatten(tensors));
  std::vector<WorkPtr> works;
  for (auto& f : *flats) {
    std::vector<at::Tensor> one{f.buffer};
    works.push_back(group->broadcast(one, opts));
  }
  return Await(env, where, works, [flats]() {
    for (auto& f : *flats) Unflatten(f);
  }, AnyCuda(tensors));
}

// allGather(outputs, input): outputs[i] receives rank i's input (same shape and dtype on every rank).
Napi::Value AllGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "allGather";
  auto group = Current(env, where);
  auto outputs = TensorList(env, info[0], where);
  const at::Tensor& input = Tensor::Get(env, info[1], where);
  if (static_cast<int>(outputs.size()) != group->getSize()) {
    ThrowArg(env, where, "tensor list has " + std::to_string(outputs.size()) + " tensors, world size is " +
                             std::to_string(group->getSize()));
  }
  for (const auto& o : outputs) {
    if (o.sizes() != input.sizes() || o.scalar_type() != input.scalar_type()) {
      ThrowArg(env, where, "every output tensor must have the input's shape and dtype");
    }
  }
  // Non-contiguous outputs receive through contiguous stand-ins, copied back when the gather is done.
  std::vector<at::Tensor> staged;
  for (const auto& o : outputs) staged.push_back(o.is_contiguous() ? o : at::empty_like(o, at::MemoryFormat::Contiguous));
  std::vector<std::vector<at::Tensor>> outs{staged};
  std::vector<at::Tensor> in{input.contiguous()};
  auto work = group->allgather(outs, in);
  return Await(env, where, {work}, [outputs, outs, in]() {
    at::NoGradGuard no_grad;
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (!outputs[i].is_same(outs[0][i])) outputs[i].copy_(outs[0][i]);
    }
  }, AnyCuda(outputs) || input.is_cuda());
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto group = Current(env, "barrier");
  auto work = group->barrier(c10d::BarrierOptions());
  return Await(env, "barrier", {work}, nullptr);
}

#endif  // TORCH_NODE_WITH_DIST

Napi::Value IsAvailable(const Napi::CallbackInfo& info) {
#ifdef TORCH_NODE_WITH_DIST
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}
Napi::Value IsGlooAvailable(const Napi::CallbackInfo& info) {
#ifdef TORCH_NODE_WITH_GLOO
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}
Napi::Value IsNcclAvailable(const Napi::CallbackInfo& info) {
#ifdef TORCH_NODE_WITH_NCCL
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

#ifndef TORCH_NODE_WITH_DIST
// A build without any process-group backend: every entry says why and how to get one (the table's
// `where` names the function).
Napi::Value Unavailable(const Napi::CallbackInfo&) {
  throw std::runtime_error(
      "torch.distributed is not in this build: it needs gloo's headers at build time (apt-get install libgloo-dev, "
      "then rebuild: npm run build)");
}
#endif

const Entry kDistributed[] = {
    {"isAvailable", IsAvailable, kAsThrown},
    {"isGlooAvailable", IsGlooAvailable, kAsThrown},
    {"isNcclAvailable", IsNcclAvailable, kAsThrown},
#ifdef TORCH_NODE_WITH_DIST
    {"init", Init, kAsThrown},
    {"destroy", Destroy, kAsThrown},
    {"info", Info, kAsThrown},
    {"allReduce", AllReduce, kAsThrown},
    {"broadcast", Broadcast, kAsThrown},
    {"allGather", AllGather, kAsThrown},
    {"barrier", Barrier, kAsThrown},
#else
    {"init", Unavailable, "initProcessGroup"},
    {"destroy", Unavailable, "destroyProcessGroup"},
    {"info", Unavailable, "distributed"},
    {"allReduce", Unavailable, "allReduce"},
    {"broadcast", Unavailable, "broadcast"},
    {"allGather", Unavailable, "allGather"},
    {"barrier", Unavailable, "barrier"},
#endif
};

}  // namespace

#ifdef TORCH_NODE_WITH_DIST
namespace dist {
c10::intrusive_ptr<Group> Current(Napi::Env env, const char* where) { return tn::Current(env, where); }
// The default group's store (its TCPStore, under the group's prefix; PyTorch's _get_default_store()), for
// store.cc: the same message as every collective before initProcessGroup.
c10::intrusive_ptr<c10d::Store> DefaultStore(Napi::Env env, const char* where) {
  tn::Current(env, where);
  State& s = Default();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.store;
}
std::string CurrentBackend() {
  State& s = Default();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.backend;
}
std::chrono::milliseconds CurrentTimeout() {
  State& s = Default();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.timeout;
}

// One buffer per (dtype, device), the tensors in order, each flattened in its logical (row-major) order: a
// rank whose tensor has other strides (channels_last here, contiguous there) still meets the same elements.
// A lone contiguous tensor is its own buffer; anything else is copied in and (Unflatten) back out.
std::vector<Flat> Flatten(const std::vector<at::Tensor>& tensors) {
  std::vector<Flat> groups;
  for (const auto& t : tensors) {
    Flat* g = nullptr;
    for (auto& f : groups) {
      if (f.members[0].scalar_type() == t.scalar_type() && f.members[0].device() == t.device()) g = &f;
    }
    if (g == nullptr) {
      groups.emplace_back();
      g = &groups.back();
    }
    g->members.push_back(t);
  }
  at::NoGradGuard no_grad;
  for (auto& g : groups) {
    if (g.members.size() == 1 && g.members[0].is_contiguous()) {
      g.buffer = g.members[0].view({-1});
      g.shared = true;
      continue;
    }
    std::vector<at::Tensor> flat;
    for (const auto& t : g.members) flat.push_back(t.reshape({-1}));
    g.buffer = at::cat(flat);
  }
  return groups;
}
// The buffer's values back into the tensors, whatever their strides (copy_ writes through them).
void Unflatten(const Flat& g) {
  if (g.shared) return;
  at::NoGradGuard no_grad;
  int64_t offset = 0;
  for (const auto& t : g.members) {
    int64_t n = t.numel();
    t.copy_(g.buffer.narrow(0, offset, n).view(t.sizes()));
    offset += n;
  }
}

}  // namespace dist
#endif

void InitDistributed(Napi::Env env, Napi::Object exports) {
  Napi::Object dist = Napi::Object::New(env);
  Export(env, dist, kDistributed);
  InitReducer(env, dist);
  InitStore(env, dist);
  exports.Set("distributed", dist);
}

}  // namespace tn
