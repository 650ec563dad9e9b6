// DistributedDataParallel's reducer: PyTorch's (torch/csrc/distributed/c10d/reducer.cpp) in small.
//
// At construction every parameter's gradient accumulator (the AccumulateGrad node of the leaf) gets a post
// hook, and the parameters are assigned to buckets as PyTorch's DDP does (compute_bucket_assignment_by_size
// over the parameters in registration order with limits [1 MiB, bucketCapMb], then the bucket list reversed,
// since gradients arrive roughly in reverse order). Each bucket is one flat buffer; each parameter owns a
// view of it. During backward, on autograd's thread, a hook copies its gradient divided by the world size
// into its view; when a bucket's last gradient is in, the bucket's all-reduce (SUM) is launched on the process
// group asynchronously, buckets strictly in order (c10d matches collectives by issue order across ranks),
// so communication overlaps the rest of backward. When the last bucket has launched, the hook queues a
// callback on the autograd engine (PyTorch's mark_variable_ready: queue_callback(finalize_backward)); the
// engine runs it when this backward's graph is done, before loss.backward() returns: it waits for the works in
// order and copies the averages into .grad. A failed all-reduce throws there, so backward() throws it. Nothing
// outside the reducer (Tensor, Module, the optimizers) knows DDP exists.
//
// findUnusedParameters: at forward, the autograd graph is walked from the outputs; parameters it does not
// reach are marked ready (their view zeroed) when backward starts, and a map of locally used parameters is
// all-reduced with the last bucket, so a parameter no rank used keeps its .grad untouched (None), as in
// PyTorch; the outputs also go through an identity node (DdpSink, PyTorch's _DDPSink) whose backward passes
// undefined gradients on, so the hooks of parameters behind an output the loss left out fire with none and
// their buckets complete. Without it, a parameter that gets no gradient leaves its bucket unlaunched, so no
// finalize is queued (another backward of the same iteration may still bring the gradient, as in PyTorch): the next
// forward, or syncGradients(), raises PyTorch's "Expected to have finished reduction in the prior iteration".
#include <ATen/ScalarOps.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common.h"
#include "process_group.h"
#include "entry.h"
#include "tensor.h"
#include "worker.h"

#ifdef TORCH_NODE_WITH_DIST
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/engine.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>
#endif

namespace tn {

#ifdef TORCH_NODE_WITH_DIST
namespace {

using torch::autograd::Node;
using torch::autograd::variable_list;
// A graph node's owning pointer: std::shared_ptr in 1.13, c10::intrusive_ptr in recent 2.x.
using NodePtr = std::decay_t<decltype(std::declval<at::Tensor>().grad_fn())>;

double NowUs() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// PyTorch's compute_bucket_assignment_by_size: tensors in `order`, one open bucket per (dtype, device); a bucket
// closes once it holds at least its limit; each (dtype, device) walks through `limits`, staying on the last.
// Without an order, tensors go in index order and buckets come out sorted by their smallest index.
std::vector<std::vector<size_t>> AssignBuckets(const std::vector<at::Tensor>& tensors, const std::vector<int64_t>& limits,
                                               const std::vector<size_t>& order = {}) {
  struct Open {
    std::vector<size_t> indices;
    int64_t bytes = 0;
    size_t limit = 0;
  };
  std::map<std::pair<int, std::string>, Open> open;
  std::vector<std::vector<size_t>> out;
  for (size_t n = 0; n < tensors.size(); ++n) {
    const size_t i = order.empty() ? n : order[n];
    const at::Tensor& t = tensors[i];
    Open& b = open[{static_cast<int>(t.scalar_type()), t.device().str()}];
    b.indices.push_back(i);
    b.bytes += t.numel() * static_cast<int64_t>(t.element_size());
    if (b.bytes >= limits[b.limit]) {
      out.push_back(std::move(b.indices));
      b.indices.clear();
      b.bytes = 0;
      if (b.limit + 1 < limits.size()) ++b.limit;
    }
  }
  for (auto& [key, b] : open) {
    if (!b.indices.empty()) out.push_back(std::move(b.indices));
  }
  if (order.empty()) std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.front() < b.front(); });
  return out;
}

struct Bucket {
  std::vector<size_t> vars;       // parameter indices, in buffer order
  std::vector<at::Tensor> views;  // views[k]: vars[k]'s slice of the buffer, with the parameter's shape and strides
  at::Tensor buffer;              // flat, what the all-reduce reduces
  size_t pending = 0;             // gradients still to come this iteration
  dist::WorkPtr work;
};

struct TraceEvent {
  std::string event;
  int bucket;
  double us;
};

struct ReducerOptions {
  bool find_unused = false;
  bool grad_as_view = false;
  bool trace = false;
  // PyTorch's limits for the version at hand (lib/nn/parallel/distributed.ts): the first assignment (one
  // bucket for everything unless findUnusedParameters) and the one rebuilt from the first iteration's order.
  std::vector<int64_t> initial_limits;
  std::vector<int64_t> rebuild_limits;
};

class Reducer : public std::enable_shared_from_this<Reducer> {
 public:
  Reducer(c10::intrusive_ptr<dist::Group> group, std::vector<at::Tensor> params, std::vector<std::string> names,
          ReducerOptions options)
      : group_(std::move(group)), params_(std::move(params)), names_(std::move(names)), options_(options) {
    world_ = group_->getSize();
    scale_ = c10::scalar_to_tensor(1.0 / world_);
    scale_.unsafeGetTensorImpl()->set_wrapped_number(true);
    auto indices = AssignBuckets(params_, options_.initial_limits);
    std::reverse(indices.begin(), indices.end());
    where_.resize(params_.size());
    for (auto& vars : indices) AddBucket(std::move(vars));
    // PyTorch rebuilds the buckets once, in the order the first iteration's gradients arrived, unless it
    // looks for unused parameters (whose order changes from one iteration to the next).
    rebuilt_ = options_.find_unused;
    ready_.assign(params_.size(), 0);
    used_.assign(params_.size(), 0);
  }

  // Hooks hold a weak pointer: the reducer may go (garbage-collected DDP) while the parameters live on.
  void Install();
  void MoveGradsIntoViews();
  void Prepare(const std::vector<at::Tensor>& outputs);
  void Hook(size_t index);
  void Finalize();
  std::vector<std::vector<size_t>> BucketVars() const {
    std::vector<std::vector<size_t>> out;
    for (const auto& b : buckets_) out.push_back(b.vars);
    return out;
  }
  std::vector<TraceEvent> Trace() {
    std::lock_guard<std::mutex> lock(trace_mutex_);
    return trace_;
  }

 private:
  void AddBucket(std::vector<size_t> vars);
  void RebuildBuckets();
  void MarkReady(size_t index);
  void CopyToBucket(size_t index);
  void Launch(size_t b);
  void AllLaunched();
  void FinalizeBackward();
  void FinalizeLocked();
  void CopyBack(const std::vector<int32_t>& global_used);
  [[noreturn]] void ThrowUnfinished();
  void WaitLaunched(std::string* error);
  void Record(const std::string& event, int bucket = -1) {
    if (!options_.trace) return;
    std::lock_guard<std::mutex> lock(trace_mutex_);
    trace_.push_back({event, bucket, NowUs()});
  }

  c10::intrusive_ptr<dist::Group> group_;
  std::vector<at::Tensor> params_;
  std::vector<std::string> names_;
  ReducerOptions options_;
  int world_ = 1;
  at::Tensor scale_;  // 1 / world size, a wrapped number (keeps the gradient's dtype), as PyTorch's div_factor_
  std::vector<NodePtr> accumulators_;  // kept alive so that the hooks stay on the graph's nodes
  std::vector<Bucket> buckets_;
  std::vector<std::pair<size_t, size_t>> where_;  // parameter -> (bucket, slot)

  std::mutex mutex_;
  bool expect_hooks_ = false;  // a synced forward ran: the next backward's hooks reduce
  bool hooks_seen_ = false;    // backward has started this iteration
  bool finalize_pending_ = false;
  size_t next_bucket_ = 0;
  std::vector<char> ready_;
  std::vector<char> used_;
  std::vector<size_t> unused_;  // found unreachable at forward (findUnusedParameters)
  bool rebuilt_ = false;
  std::vector<size_t> ready_order_;  // the first iteration's, for the rebuild
  at::Tensor used_map_;
  dist::WorkPtr used_work_;

  std::mutex trace_mutex_;
  std::vector<TraceEvent> trace_;
};

class ReadyHook : public torch::autograd::FunctionPostHook {
 public:
  ReadyHook(std::weak_ptr<Reducer> reducer, size_t index) : reducer_(std::move(reducer)), index_(index) {}
  variable_list operator()(const variable_list& outputs, const variable_list& /*inputs*/) override {
    if (auto r = reducer_.lock()) r->Hook(index_);
    return outputs;
  }

 private:
  std::weak_ptr<Reducer> reducer_;
  size_t index_;
};

void Reducer::AddBucket(std::vector<size_t> vars) {
  Bucket b;
  int64_t total = 0;
  for (size_t i : vars) total += params_[i].numel();
  const at::Tensor& first = params_[vars.front()];
  b.buffer = at::zeros({total}, first.options().requires_grad(false));
  int64_t offset = 0;
  for (size_t k = 0; k < vars.size(); ++k) {
    const at::Tensor& p = params_[vars[k]];
    // PyTorch's gradient layout contract: the view has the parameter's strides when those are dense.
    at::Tensor view = p.is_non_overlapping_and_dense() ? b.buffer.as_strided(p.sizes(), p.strides(), offset)
                                                       : b.buffer.narrow(0, offset, p.numel()).view(p.sizes());
    b.views.push_back(view);
    where_[vars[k]] = {buckets_.size(), k};
    offset += p.numel();
  }
  b.vars = std::move(vars);
  buckets_.push_back(std::move(b));
}

void Reducer::Install() {
  for (size_t i = 0; i < params_.size(); ++i) {
    auto acc = torch::autograd::impl::grad_accumulator(params_[i]);
    acc->add_post_hook(std::make_unique<ReadyHook>(weak_from_this(), i));
    accumulators_.push_back(std::move(acc));
  }
  if (options_.grad_as_view) MoveGradsIntoViews();
}

// With gradientAsBucketView an existing gradient moves into its view (PyTorch's initialize_bucket_views).
void Reducer::MoveGradsIntoViews() {
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    at::Tensor& grad = params_[i].mutable_grad();
    const auto& [b, k] = where_[i];
    if (grad.defined()) {
      buckets_[b].views[k].copy_(grad);
      grad = buckets_[b].views[k];
    }
  }
}

// PyTorch's rebuild_buckets: the first iteration's arrival order, rank 0's (broadcast, so that every rank
// builds the same buckets), assigned with the rebuild limits; no reversal, the order is backward's own.
void Reducer::RebuildBuckets() {
  rebuilt_ = true;
  at::Tensor order = at::empty({static_cast<int64_t>(ready_order_.size())}, at::TensorOptions().dtype(at::kLong));
  for (size_t n = 0; n < ready_order_.size(); ++n) order.data_ptr<int64_t>()[n] = static_cast<int64_t>(ready_order_[n]);
  if (params_.front().is_cuda()) order = order.to(params_.front().device());
  std::vector<at::Tensor> tensors{order};
  c10d::BroadcastOptions opts;
  opts.rootRank = 0;
  opts.rootTensor = 0;
  group_->broadcast(tensors, opts)->wait();
  order = order.cpu();
  std::vector<size_t> indices;
  for (int64_t n = 0; n < order.numel(); ++n) indices.push_back(static_cast<size_t>(order.data_ptr<int64_t>()[n]));
  ready_order_.clear();
  buckets_.clear();
  for (auto& vars : AssignBuckets(params_, options_.rebuild_limits, indices)) AddBucket(std::move(vars));
  if (options_.grad_as_view) MoveGradsIntoViews();
}

// At a synced forward (PyTorch's prepare_for_backward): resets the iteration and, with findUnusedParameters,
// finds the parameters the outputs do not depend on.
void Reducer::Prepare(const std::vector<at::Tensor>& outputs) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finalize_pending_) FinalizeLocked();
  if (expect_hooks_ && hooks_seen_) ThrowUnfinished();
  if (!rebuilt_ && ready_order_.size() == params_.size()) RebuildBuckets();
  std::fill(ready_.begin(), ready_.end(), 0);
  std::fill(used_.begin(), used_.end(), 0);
  for (auto& b : buckets_) b.pending = b.vars.size();
  next_bucket_ = 0;
  hooks_seen_ = false;
  unused_.clear();
  expect_hooks_ = true;
  if (options_.trace) {
    std::lock_guard<std::mutex> trace_lock(trace_mutex_);
    trace_.clear();
  }
  Record("forward");
  if (!options_.find_unused) return;
  std::unordered_set<Node*> seen;
  std::vector<Node*> stack;
  for (const auto& out : outputs) {
    if (!out.defined() || !out.requires_grad()) continue;
    NodePtr fn = out.grad_fn();
    if (!fn) fn = torch::autograd::impl::try_get_grad_accumulator(out);
    if (fn && seen.insert(fn.get()).second) stack.push_back(fn.get());
  }
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const auto& edge : node->next_edges()) {
      if (edge.function && seen.insert(edge.function.get()).second) stack.push_back(edge.function.get());
    }
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!seen.count(accumulators_[i].get())) unused_.push_back(i);
  }
}

// On autograd's thread, after param `index`'s gradient was accumulated into .grad.
void Reducer::Hook(size_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!expect_hooks_) return;  // a backward outside DDP's forward, or inside noSync: gradients stay local
  if (!hooks_seen_) {
    hooks_seen_ = true;
    Record("backward");
    if (options_.trace) {
      std::weak_ptr<Reducer> weak = weak_from_this();
      torch::autograd::Engine::get_default_engine().queue_callback([weak]() {
        if (auto r = weak.lock()) r->Record("backward_end");
      });
    }
    // PyTorch marks the unused parameters ready when backward starts, not at forward.
    for (size_t u : unused_) MarkReady(u);
  }
  if (ready_[index]) {
    throw std::runtime_error(
        "DistributedDataParallel: Expected to mark a variable ready only once. Parameter '" + names_[index] +
        "' received its gradient twice in one backward (a parameter used in a reentrant backward, or in more than one "
        "backward per forward, is not supported)");
  }
  // Used only where a gradient arrived: a hook fired with none (an output the loss left out, through the sink)
  // leaves the parameter's .grad untouched, as PyTorch's autograd_hook does.
  if (params_[index].grad().defined()) used_[index] = 1;
  MarkReady(index);
}

void Reducer::MarkReady(size_t index) {
  CopyToBucket(index);
  ready_[index] = 1;
  if (!rebuilt_) ready_order_.push_back(index);
  Record("grad_ready", static_cast<int>(where_[index].first));
  Bucket& bucket = buckets_[where_[index].first];
  if (--bucket.pending > 0) return;
  while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].pending == 0) Launch(next_bucket_++);
  if (next_bucket_ == buckets_.size()) AllLaunched();
}

// The gradient, divided by the world size, into its view (PyTorch's mark_variable_ready_dense). With
// gradientAsBucketView the view becomes the gradient, so the next accumulation writes into the bucket.
void Reducer::CopyToBucket(size_t index) {
  const auto& [b, k] = where_[index];
  at::Tensor& view = buckets_[b].views[k];
  at::Tensor& grad = params_[index].mutable_grad();
  at::NoGradGuard no_grad;
  if (!grad.defined()) {
    view.zero_();
  } else if (options_.grad_as_view) {
    if (grad.is_alias_of(view)) {
      view.div_(world_);
    } else {
      at::mul_out(view, grad, scale_);
      grad = view;
    }
  } else {
    at::mul_out(view, grad, scale_);
  }
}

void Reducer::Launch(size_t b) {
  std::vector<at::Tensor> tensors{buckets_[b].buffer};
  c10d::AllreduceOptions opts;
  opts.reduceOp = c10d::ReduceOp(c10d::ReduceOp::SUM);
  Record("allreduce_start", static_cast<int>(b));
  buckets_[b].work = group_->allreduce(tensors, opts);
  if (options_.trace) {
    std::weak_ptr<Reducer> weak = weak_from_this();
    buckets_[b].work->getFuture()->addCallback([weak, b](c10::ivalue::Future&) {
      if (auto r = weak.lock()) r->Record("allreduce_end", static_cast<int>(b));
    });
  }
}

void Reducer::AllLaunched() {
  if (options_.find_unused) {
    // Which parameters some rank used: a parameter no rank used keeps its .grad as it is.
    used_map_ = at::empty({static_cast<int64_t>(used_.size())}, at::TensorOptions().dtype(at::kInt));
    auto* data = used_map_.data_ptr<int32_t>();
    for (size_t i = 0; i < used_.size(); ++i) data[i] = used_[i];
    if (params_.front().is_cuda()) used_map_ = used_map_.to(params_.front().device());
    std::vector<at::Tensor> tensors{used_map_};
    used_work_ = group_->allreduce(tensors, c10d::AllreduceOptions());
  }
  finalize_pending_ = true;
  // On autograd's thread, inside this backward: the engine runs the callback once the graph is done (the
  // trace's backward_end, queued at the first hook, runs before it) and rethrows its error from backward().
  std::weak_ptr<Reducer> weak = weak_from_this();
  torch::autograd::Engine::get_default_engine().queue_callback([weak]() {
    if (auto r = weak.lock()) r->FinalizeBackward();
  });
}

// PyTorch's finalize_backward, from the engine's callback. The pending flag guards against a finalize that
// already ran (a forward or syncGradients after a backward that failed before its callbacks).
void Reducer::FinalizeBackward() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finalize_pending_) FinalizeLocked();
}

void Reducer::WaitLaunched(std::string* error) {
  auto wait = [&](const dist::WorkPtr& work) {
    if (!work) return;
    try {
      work->wait();
    } catch (const c10::Error& e) {
      if (error->empty()) *error = e.what_without_backtrace();
    } catch (const std::exception& e) {
      if (error->empty()) *error = e.what();
    }
  };
  for (size_t b = 0; b < next_bucket_; ++b) {
    wait(buckets_[b].work);
    buckets_[b].work.reset();
  }
  wait(used_work_);
  used_work_.reset();
}

// syncGradients(): after a backward whose engine callback ran there is nothing left to do; it finalizes a
// reduction whose backward failed before its callbacks, and raises the error for a parameter that got no
// gradient (PyTorch's check at the next forward, asked for explicitly).
void Reducer::Finalize() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finalize_pending_) {
    FinalizeLocked();
  } else if (expect_hooks_ && hooks_seen_) {
    ThrowUnfinished();
  }
}

void Reducer::FinalizeLocked() {
  finalize_pending_ = false;
  expect_hooks_ = false;
  Record("finalize_start");
  std::string error;
  WaitLaunched(&error);
  Record("finalize_end");
  if (!error.empty()) {
    throw std::runtime_error("DistributedDataParallel: the gradient all-reduce failed: " + CleanMessage(error));
  }
  std::vector<int32_t> global_used;
  if (options_.find_unused) {
    at::Tensor used = used_map_.cpu();
    global_used.assign(used.data_ptr<int32_t>(), used.data_ptr<int32_t>() + used.numel());
  }
  CopyBack(global_used);
}

// The averages into .grad (PyTorch's copy_bucket_to_grad): a parameter no rank used keeps its gradient as it
// is; an undefined gradient becomes a copy of the view (the view itself with gradientAsBucketView).
void Reducer::CopyBack(const std::vector<int32_t>& global_used) {
  at::NoGradGuard no_grad;
  for (auto& bucket : buckets_) {
    for (size_t k = 0; k < bucket.vars.size(); ++k) {
      size_t i = bucket.vars[k];
      if (!global_used.empty() && global_used[i] == 0) continue;
      const at::Tensor& view = bucket.views[k];
      at::Tensor& grad = params_[i].mutable_grad();
      if (!grad.defined()) {
        grad = options_.grad_as_view ? view : view.clone();
      } else if (!(options_.grad_as_view && grad.is_alias_of(view))) {
        grad.copy_(view);
      }
    }
  }
}

// PyTorch's wording (reducer.cpp's ensure_prior_reduction_finished, in its TORCH_DISTRIBUTED_DEBUG=INFO form: the
// names, then the indices), on one line (its line breaks become spaces) and with this library's spelling of the
// option. With findUnusedParameters the unreduced parameters were reachable from an output the loss left out.
void Reducer::ThrowUnfinished() {
  std::string error;
  WaitLaunched(&error);  // what was launched completes on every rank alike before the iteration is abandoned
  expect_hooks_ = false;
  std::string names, indices;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (ready_[i]) continue;
    names += (names.empty() ? "" : ", ") + names_[i];
    indices += (indices.empty() ? "" : " ") + std::to_string(i);
  }
  const std::string outputs = "making sure all `forward` function outputs participate in calculating loss. ";
  const std::string why = options_.find_unused
                              ? "Since `findUnusedParameters: true` is enabled, this likely  means that not all `forward` "
                                "outputs participate in computing loss. You can fix this by " + outputs
                              : "You can enable unused parameter detection by passing the option `findUnusedParameters: "
                                "true` to `torch.nn.parallel.DistributedDataParallel`, and by " + outputs;
  const std::string rank = std::to_string(group_->getRank());
  throw std::runtime_error(
      "DistributedDataParallel: Expected to have finished reduction in the prior iteration before starting a new "
      "one. This error indicates that your module has parameters that were not used in producing loss. " + why +
      "If you already have done the above, then the distributed data parallel module wasn't able to locate the "
      "output tensors in the return value of your module's `forward` function. Please include the loss function "
      "and the structure of the return value of `forward` of your module when reporting this issue (e.g. list, "
      "dict, iterable). Parameters which did not receive grad for rank " + rank + ": " + names +
      " Parameter indices which did not receive grad for rank " + rank + ": " + indices);
}

// PyTorch's _DDPSink (DDP.forward with find_unused_parameters): the forward's outputs go through one identity
// node whose backward passes the gradients on as they are, undefined ones left undefined (materialize off). So
// a backward from a loss that leaves some outputs out still reaches, with no gradient, the parameters only those
// outputs depend on: their hooks fire, their buckets complete, and their .grad stays untouched.
struct DdpSink : public torch::autograd::Function<DdpSink> {
  // A TensorList, not a std::vector: custom functions take only a Tensor or a TensorList as autograd inputs.
  static variable_list forward(torch::autograd::AutogradContext* ctx, at::TensorList inputs) {
    ctx->set_materialize_grads(false);
    variable_list out;
    out.reserve(inputs.size());
    for (const auto& t : inputs) out.push_back(t.clone());
    return out;
  }
  static variable_list backward(torch::autograd::AutogradContext*, variable_list grads) { return grads; }
};

using ReducerPtr = std::shared_ptr<Reducer>;

ReducerPtr& Get(Napi::Env env, const Napi::Value& v, const char* where) {
  if (!v.IsExternal()) ThrowArg(env, where, "expected a reducer made by DistributedDataParallel");
  return *v.As<Napi::External<ReducerPtr>>().Data();
}

std::vector<at::Tensor> Tensors(Napi::Env env, const Napi::Value& v, const char* where) {
  if (!v.IsArray()) ThrowArg(env, where, "expected an array of tensors");
  auto arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(Tensor::Get(env, arr.Get(i), where));
  return out;
}

// reducerNew(params, names, {bucketCapBytes, firstBucketBytes, findUnusedParameters, gradientAsBucketView, trace})
Napi::Value New(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "DistributedDataParallel";
  auto group = dist::Current(env, where);
  auto params = Tensors(env, info[0], where);
  if (params.empty()) ThrowArg(env, where, "the module has no parameter that requires grad");
  if (!info[1].IsArray()) ThrowArg(env, where, "expected the parameters' names");
  std::vector<std::string> names;
  auto names_js = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < names_js.Length(); ++i) names.push_back(names_js.Get(i).ToString().Utf8Value());
  if (names.size() != params.size()) ThrowArg(env, where, "one name per parameter expected");
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].requires_grad() || !params[i].is_leaf()) {
      ThrowArg(env, where, "parameter '" + names[i] + "' is not a leaf that requires grad");
    }
    if (params[i].is_sparse()) ThrowArg(env, where, "sparse parameter '" + names[i] + "' is not supported");
  }
  Napi::Object o = info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
  ReducerOptions options;
  options.initial_limits = ToIntList(env, o.Get("initialLimits"), "DistributedDataParallel: initialLimits");
  options.rebuild_limits = ToIntList(env, o.Get("rebuildLimits"), "DistributedDataParallel: rebuildLimits");
  for (const auto* limits : {&options.initial_limits, &options.rebuild_limits}) {
    if (limits->empty() || *std::min_element(limits->begin(), limits->end()) < 1) ThrowArg(env, where, "bucket sizes must be positive");
  }
  options.find_unused = ToBool(o.Get("findUnusedParameters"), false);
  options.grad_as_view = ToBool(o.Get("gradientAsBucketView"), false);
  options.trace = ToBool(o.Get("trace"), false);
  auto reducer = std::make_shared<Reducer>(group, std::move(params), std::move(names), options);
  reducer->Install();
  return Napi::External<ReducerPtr>::New(env, new ReducerPtr(std::move(reducer)), [](Napi::Env, ReducerPtr* p) { delete p; });
}

Napi::Value Prepare(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ReducerPtr& r = Get(env, info[0], "DistributedDataParallel.forward");
  r->Prepare(Tensors(env, info[1], "DistributedDataParallel.forward"));
  return env.Undefined();
}

// reducerSink(outputs): the outputs (each one requiring grad) through one DdpSink, as new tensors in order.
Napi::Value Sink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto outputs = Tensors(env, info[0], "DistributedDataParallel.forward");
  auto sunk = DdpSink::apply(at::TensorList(outputs));
  Napi::Array out = Napi::Array::New(env, sunk.size());
  for (size_t i = 0; i < sunk.size(); ++i) out.Set(static_cast<uint32_t>(i), Tensor::Wrap(env, sunk[i]));
  return out;
}

// Runs on the libuv pool, so that whatever syncGradients() may still wait for (the works a failed or
// incomplete backward launched) leaves the event loop free. The reducer's messages already name
// DistributedDataParallel (they also leave forward, whose table adds nothing, and backward(), whose adds
// 'backward: ').
std::string WithoutPrefix(const std::string& message) {
  const std::string prefix = "DistributedDataParallel: ";
  std::string clean = CleanMessage(message);
  return clean.rfind(prefix, 0) == 0 ? clean.substr(prefix.size()) : clean;
}

Napi::Value Finalize(const Napi::CallbackInfo& info) {
  ReducerPtr r = Get(info.Env(), info[0], "DistributedDataParallel.syncGradients");
  return QueueVoidJob(info.Env(), "DistributedDataParallel", [r]() { r->Finalize(); }, WithoutPrefix);
}

Napi::Value Buckets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto buckets = Get(env, info[0], "DistributedDataParallel")->BucketVars();
  Napi::Array out = Napi::Array::New(env, buckets.size());
  for (size_t b = 0; b < buckets.size(); ++b) {
    Napi::Array vars = Napi::Array::New(env, buckets[b].size());
    for (size_t k = 0; k < buckets[b].size(); ++k) vars.Set(static_cast<uint32_t>(k), static_cast<double>(buckets[b][k]));
    out.Set(static_cast<uint32_t>(b), vars);
  }
  return out;
}

Napi::Value Trace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto events = Get(env, info[0], "DistributedDataParallel")->Trace();
  Napi::Array out = Napi::Array::New(env, events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("event", events[i].event);
    if (events[i].bucket >= 0) e.Set("bucket", events[i].bucket);
    e.Set("us", events[i].us);
    out.Set(static_cast<uint32_t>(i), e);
  }
  return out;
}

// syncBuffers(buffers): rank 0's buffers to every rank, waited for here, as DDP's forward does before running
// the module (PyTorch's broadcast_buffers): the forward reads them at once.
Napi::Value SyncBuffers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "DistributedDataParallel.forward";
  auto group = dist::Current(env, where);
  auto flats = dist::Flatten(Tensors(env, info[0], where));
  c10d::BroadcastOptions opts;
  opts.rootRank = 0;
  opts.rootTensor = 0;
  for (auto& f : flats) {
    std::vector<at::Tensor> one{f.buffer};
    auto work = group->broadcast(one, opts);
    try {
      work->wait();
    } catch (const c10::Error& e) {
      throw std::runtime_error(std::string("the broadcast of buffers failed: ") + CleanMessage(e.what_without_backtrace()));
    }
    dist::Unflatten(f);
  }
  return env.Undefined();
}

const Entry kReducer[] = {
    {"reducerNew", New, kAsThrown},
    {"reducerPrepare", Prepare, kAsThrown},
    {"reducerSink", Sink, kAsThrown},
    {"reducerFinalize", Finalize, kAsThrown},
    {"reducerBuckets", Buckets, kAsThrown},
    {"reducerTrace", Trace, kAsThrown},
    {"syncBuffers", SyncBuffers, "DistributedDataParallel.forward"},
};

}  // namespace

void InitReducer(Napi::Env env, Napi::Object dist) { Export(env, dist, kReducer); }

#else  // no process-group backend in this build

void InitReducer(Napi::Env, Napi::Object) {}

#endif

}  // namespace tn
