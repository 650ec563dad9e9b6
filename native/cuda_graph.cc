// CUDA graphs for the training step (lib/train/step.ts): at::cuda::CUDAGraph captures the kernels that
// forward, loss, backward and the fused tensor-lr SGD update launch, and replay() relaunches them all
// with one call. What PyTorch's torch.cuda.graph does around a capture is done here the same way:
// warm-up and capture run on a side stream (never the legacy default stream, which cannot be captured),
// joined back to the caller's stream by events so that ordering is kept without a host sync.
// The JS side runs the step's ops between beginSide/captureBegin and endSide/captureEnd; the current
// stream stays switched across those calls (one graph at a time, on the main thread).
#include "cuda_graph.h"

#include <memory>

#include "common.h"
#include "entry.h"

#ifdef TORCH_NODE_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/core/Event.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace tn {

namespace {

using Info = const Napi::CallbackInfo&;

#ifdef TORCH_NODE_WITH_CUDA
struct Graph {
  at::cuda::CUDAGraph graph;
  c10::DeviceIndex device = 0;
  c10::optional<c10::cuda::CUDAStream> side;   // the capture stream, from the pool
  c10::optional<c10::cuda::CUDAStream> caller;  // the stream to restore and join
  bool captured = false;
};

Graph& GetGraph(Napi::Env env, const Napi::Value& v, const char* where) {
  if (!v.IsExternal()) ThrowArg(env, where, "expected a graph made by cudaGraph.create()");
  return *v.As<Napi::External<Graph>>().Data();
}

// The side stream waits for work already queued on the caller's stream, then becomes current.
void EnterSide(Graph& g) {
  if (g.caller) throw std::runtime_error("cudaGraph: already on the side stream (a capture or warm-up is open)");
  c10::cuda::CUDAGuard guard(g.device);
  g.caller = c10::cuda::getCurrentCUDAStream(g.device);
  if (!g.side) g.side = c10::cuda::getStreamFromPool(/*isHighPriority=*/false, g.device);
  // c10::Event, not at::cuda::CUDAEvent: the same CUDA event through the device guard, without the
  // cuBLAS/cuSPARSE headers that ATen/cuda/CUDAContext.h pulls in.
  c10::Event ready(c10::DeviceType::CUDA);
  ready.record(*g.caller);
  ready.block(*g.side);
  c10::cuda::setCurrentCUDAStream(*g.side);
}

// The caller's stream waits for the side stream's work and becomes current again.
void LeaveSide(Graph& g) {
  if (!g.caller) throw std::runtime_error("cudaGraph: not on the side stream");
  c10::Event done(c10::DeviceType::CUDA);
  done.record(*g.side);
  done.block(*g.caller);
  c10::cuda::setCurrentCUDAStream(*g.caller);
  g.caller.reset();
}

// create(deviceIndex): a new, empty graph for that device.
Napi::Value Create(Info info) {
  Napi::Env env = info.Env();
  auto g = std::make_unique<Graph>();
  g->device = static_cast<c10::DeviceIndex>(Given(info, 0) ? ToInt(env, info[0], "cudaGraph.create: device") : 0);
  return Napi::External<Graph>::New(env, g.release(), [](Napi::Env, Graph* p) { delete p; });
}

// beginSide(graph) / endSide(graph): eager warm-up steps on the capture stream.
Napi::Value BeginSide(Info info) {
  Napi::Env env = info.Env();
  EnterSide(GetGraph(env, info[0], "cudaGraph.beginSide"));
  return env.Undefined();
}

Napi::Value EndSide(Info info) {
  Napi::Env env = info.Env();
  LeaveSide(GetGraph(env, info[0], "cudaGraph.endSide"));
  return env.Undefined();
}

// captureBegin(graph): switches to the side stream and starts capturing into the graph's private pool.
Napi::Value CaptureBegin(Info info) {
  Napi::Env env = info.Env();
  Graph& g = GetGraph(env, info[0], "cudaGraph.captureBegin");
  if (g.captured) ThrowArg(env, "cudaGraph.captureBegin", "the graph holds a capture already: reset() it first");
  EnterSide(g);
  try {
    g.graph.capture_begin();
  } catch (...) {
    LeaveSide(g);
    throw;
  }
  return env.Undefined();
}

// captureEnd(graph): ends the capture (instantiating the graph) and returns to the caller's stream.
Napi::Value CaptureEnd(Info info) {
  Napi::Env env = info.Env();
  Graph& g = GetGraph(env, info[0], "cudaGraph.captureEnd");
  try {
    g.graph.capture_end();
  } catch (...) {
    LeaveSide(g);
    throw;
  }
  LeaveSide(g);
  g.captured = true;
  return env.Undefined();
}

// replay(graph): launches the captured work on the current stream.
Napi::Value Replay(Info info) {
  Napi::Env env = info.Env();
  Graph& g = GetGraph(env, info[0], "cudaGraph.replay");
  if (!g.captured) ThrowArg(env, "cudaGraph.replay", "nothing captured yet");
  g.graph.replay();
  return env.Undefined();
}

// reset(graph): frees the captured graph and its pool (the static tensors made in it must be dropped first).
Napi::Value Reset(Info info) {
  Napi::Env env = info.Env();
  Graph& g = GetGraph(env, info[0], "cudaGraph.reset");
  if (g.caller) LeaveSide(g);
  g.graph.reset();
  g.captured = false;
  return env.Undefined();
}

const Entry kCudaGraph[] = {
    {"create", Create, kAsThrown},
    {"beginSide", BeginSide, kAsThrown},
    {"endSide", EndSide, kAsThrown},
    {"captureBegin", CaptureBegin, kAsThrown},
    {"captureEnd", CaptureEnd, kAsThrown},
    {"replay", Replay, kAsThrown},
    {"reset", Reset, kAsThrown},
};
#else
// A CPU-only build: the step object runs eagerly and never calls these.
Napi::Value NoCuda(Info info) {
  Napi::Env env = info.Env();
  ThrowArg(env, "cudaGraph", "CUDA graphs need a libtorch with CUDA (this build is CPU-only)");
}

const Entry kCudaGraph[] = {
    {"create", NoCuda, kAsThrown},
    {"beginSide", NoCuda, kAsThrown},
    {"endSide", NoCuda, kAsThrown},
    {"captureBegin", NoCuda, kAsThrown},
    {"captureEnd", NoCuda, kAsThrown},
    {"replay", NoCuda, kAsThrown},
    {"reset", NoCuda, kAsThrown},
};
#endif

}  // namespace

void InitCudaGraph(Napi::Env env, Napi::Object exports) {
  Napi::Object graph = Napi::Object::New(env);
  Export(env, graph, kCudaGraph);
#ifdef TORCH_NODE_WITH_CUDA
  graph.Set("compiled", Napi::Boolean::New(env, true));
#else
  graph.Set("compiled", Napi::Boolean::New(env, false));
#endif
  exports.Set("cudaGraph", graph);
}

}  // namespace tn
