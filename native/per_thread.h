// Per-JS-thread state (each worker_thread is its own JS thread, finalizers included) behind one plain
// thread-local pointer.
//
// Why not `thread_local T value;`: this addon is dlopen'ed, so its thread-locals use the general-dynamic
// TLS model, where every function that touches one calls __tls_get_addr. A class-type thread_local also
// needs an init guard and a destructor registration, checked through a TLS init function on each use:
// two or three calls per function. An `add` made 33 such calls in this addon (46 with libtorch's own),
// ~400 instructions of ~8,700. A trivially-initialised pointer costs one call per function, and the op
// call passes what it fetched down to its helpers.
#pragma once

#include <memory>

namespace tn {

template <typename T>
class PerThread {
 public:
  // This thread's T, made on first use and destroyed when the thread ends.
  static T& Get() {
    T* p = current_;
    if (__builtin_expect(p == nullptr, 0)) p = Create();
    return *p;
  }

  // This thread's T, or nullptr once the thread's thread-locals were destroyed (a tensor freed by a static
  // destructor at exit): for callers that have a way around it.
  static T* GetUnlessEnded() {
    T* p = current_;
    if (__builtin_expect(p == nullptr, 0) && !ended_) p = Create();
    return p;
  }

 private:
  // Owns the value; touched only when the value is made, so the pointer's reads stay plain.
  struct Owner {
    std::unique_ptr<T> value;
    ~Owner() {
      current_ = nullptr;
      ended_ = true;
      value.reset();
    }
  };

  static T* Create() {
    if (ended_) return current_ = new T();  // after the thread's destructors (process exit): made once more, never freed
    static thread_local Owner owner;
    owner.value = std::make_unique<T>();
    current_ = owner.value.get();
    return current_;
  }

  static inline thread_local T* current_ = nullptr;
  static inline thread_local bool ended_ = false;
};

}  // namespace tn
