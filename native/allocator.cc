#include "allocator.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <torch/version.h>

#include "cuda.h"
#include "memory.h"
#include "per_thread.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <vector>
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace tn {

namespace {

std::atomic<int64_t> cpu_bytes{0};
// The wrapped allocator's deleter: DefaultCPUAllocator's DataPtrs carry data == context and this
// deleter, so the wrapper can free through it without storing anything per allocation.
c10::DeleterFnPtr inner_deleter = nullptr;

// The size is read back from malloc at free time (both sides use the same measure, so the count
// returns to zero exactly); allocations are 64-byte aligned posix_memalign blocks of glibc's malloc.
int64_t BlockBytes(void* p) {
#ifdef __GLIBC__
  return p ? static_cast<int64_t>(malloc_usable_size(p)) : 0;
#else
  (void)p;
  return 0;
#endif
}

// ---- small blocks kept per thread ----
// A tidy() scope frees everything it made at once: 100 one-element adds free 100 data blocks together, and
// glibc keeps only 7 freed chunks of a size in its per-thread cache, so the rest are coalesced into its
// bins and split out again by the next scope's allocations (with posix_memalign's own splitting, ~1,500
// instructions of malloc and free per add, and slow ones: a quarter of an add's CPU time). Freed blocks of
// up to kSmallBlock bytes are kept here instead, per thread and up to kCacheBytes, and handed out again
// whole. Small requests are rounded up to a multiple of kClassBytes (the allocation's alignment), so a
// block's usable size, read back at free time, names its class exactly.
constexpr size_t kClassBytes = 64;
constexpr size_t kSmallBlock = 1024;
constexpr size_t kClasses = kSmallBlock / kClassBytes + 1;  // class c: usable size in [c·64, c·64 + 64)
constexpr int64_t kCacheBytes = 256 << 10;

struct BlockCache {
  std::array<std::vector<void*>, kClasses> free;
  int64_t bytes = 0;
  ~BlockCache() {
    for (std::vector<void*>& blocks : free) {
      for (void* p : blocks) inner_deleter(p);
    }
  }
};

void CountedDelete(void* p) {
  const int64_t usable = BlockBytes(p);
  cpu_bytes.fetch_sub(usable, std::memory_order_relaxed);
  const size_t c = static_cast<size_t>(usable) / kClassBytes;
  if (c > 0 && c < kClasses) {
    BlockCache* cache = PerThread<BlockCache>::GetUnlessEnded();
    if (cache != nullptr && cache->bytes + usable <= kCacheBytes) {
      cache->free[c].push_back(p);
      cache->bytes += usable;
      return;
    }
  }
  inner_deleter(p);
}

// A kept block for a request of n bytes (0 < n <= kSmallBlock), or nullptr.
void* TakeCached(size_t n) {
  BlockCache* cache = PerThread<BlockCache>::GetUnlessEnded();
  if (cache == nullptr) return nullptr;
  std::vector<void*>& blocks = cache->free[(n + kClassBytes - 1) / kClassBytes];
  if (blocks.empty()) return nullptr;
  void* p = blocks.back();
  blocks.pop_back();
  const int64_t usable = BlockBytes(p);
  cache->bytes -= usable;
  cpu_bytes.fetch_add(usable, std::memory_order_relaxed);
  return p;
}

class CountingAllocator final : public c10::Allocator {
 public:
  explicit CountingAllocator(c10::Allocator* inner) : inner_(inner) {}

#if TORCH_VERSION_MAJOR >= 2 && (TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t n) override { return Allocate(n); }
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    inner_->copy_data(dest, src, count);
  }
#else
  c10::DataPtr allocate(size_t n) const override { return Allocate(n); }
#endif
  c10::DeleterFnPtr raw_deleter() const override { return inner_deleter ? &CountedDelete : nullptr; }

 private:
  c10::Allocator* inner_;

  c10::DataPtr Allocate(size_t n) const {
    if (n == 0 || n > kSmallBlock) return Count(inner_->allocate(n));
    if (void* p = TakeCached(n)) return c10::DataPtr(p, p, &CountedDelete, c10::Device(c10::DeviceType::CPU));
    return Count(inner_->allocate((n + kClassBytes - 1) / kClassBytes * kClassBytes));
  }

  // Only allocations in the simple form (data == context, the inner raw deleter) are counted; any
  // other form passes through untouched, its free uncounted too.
  static c10::DataPtr Count(c10::DataPtr dp) {
    void* p = dp.get();
    if (p == nullptr || inner_deleter == nullptr || p != dp.get_context() || dp.get_deleter() != inner_deleter) {
      return dp;
    }
    c10::Device device = dp.device();
    dp.release_context();  // ownership moves to the new DataPtr below
    cpu_bytes.fetch_add(BlockBytes(p), std::memory_order_relaxed);
    return c10::DataPtr(p, p, &CountedDelete, device);
  }
};

// Changes below this are not worth a call into V8 (which may start a collection).
constexpr int64_t kReportStep = 1 << 20;
// Inside tidy() the scope frees what it made when it ends: a training step's activations come and go
// (hundreds of MB for ResNet-20 at batch 128) and, reported, made V8 run 3 full collections per step that
// found nothing to free. Only growth this large is reported there (a whole loop inside one tidy() with
// handles dropped along the way still gets collected).
constexpr int64_t kTidyReportStep = int64_t{1} << 30;
// CUDA's figure is read every this many reports (it takes the caching allocator's lock).
constexpr int kCudaSampleEvery = 64;

// Per JS thread (each worker_thread is its own isolate; per_thread.h).
struct Reporter {
  int64_t reported = 0;   // what this isolate was last told (CPU + CUDA)
  int64_t cuda_bytes = 0;  // the last CUDA sample
  int until_cuda_sample = 0;
  int64_t v8_external = 0;  // V8's external-memory total after the last report
};

}  // namespace

void InstallCountingAllocator() {
  static std::once_flag once;
  std::call_once(once, [] {
#ifdef __GLIBC__
    const char* flag = std::getenv("TORCH_NODE_COUNT_ALLOCATIONS");
    if (flag != nullptr && flag[0] == '0') return;
    c10::Allocator* inner = c10::GetAllocator(c10::DeviceType::CPU);
    inner_deleter = inner->raw_deleter();
    if (inner_deleter == nullptr) return;
    static CountingAllocator counting(inner);
    // Above the default priority, so a later default registration does not replace it.
    c10::SetAllocator(c10::DeviceType::CPU, &counting, /*priority=*/1);
#endif
  });
}

int64_t CpuAllocatedBytes() { return cpu_bytes.load(std::memory_order_relaxed); }

int64_t CpuCachedBytes() {
  BlockCache* cache = PerThread<BlockCache>::GetUnlessEnded();
  return cache != nullptr ? cache->bytes : 0;
}

// CUDA memory is reported beside the CPU's: device memory held by unreachable handles then makes V8
// collect too (the caching allocator's allocated bytes, not its reserve, which it keeps by design).
void ReportNativeMemory(napi_env env, bool in_tidy) {
  Reporter& r = PerThread<Reporter>::Get();
  if (--r.until_cuda_sample <= 0) {
    r.until_cuda_sample = kCudaSampleEvery;
    r.cuda_bytes = CudaAllocatedBytes();
  }
  int64_t now = cpu_bytes.load(std::memory_order_relaxed) + r.cuda_bytes;
  int64_t change = now - r.reported;
  const int64_t step = in_tidy ? kTidyReportStep : kReportStep;
  if (change < step && change > -step) return;
  if (napi_adjust_external_memory(env, change, &r.v8_external) == napi_ok) r.reported = now;
}

int64_t V8ExternalBytes() { return PerThread<Reporter>::Get().v8_external; }

}  // namespace tn
