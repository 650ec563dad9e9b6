// Native tensor lists for lib/optim. A multi-tensor op given a JS array unwraps every element's handle
// (a property lookup per element: ~2,300 instructions, more than the op's own work per small tensor), and
// an optimizer passes the same lists (its parameters, their gradients, their state) step after step. A
// list made here once is taken by the generic operator call (ops.cc ConvertTensorList) in one lookup.
//
// A list keeps each element's handle slot and a reference to the tensor the slot held when the list was
// made: while the slot holds that same TensorImpl it is the same tensor (the reference keeps the
// TensorImpl from being freed and its address reused), and a list whose element was disposed since is
// refused as a disposed Tensor in an array is. A gradients view (gradsOf) reads each tensor's .grad when
// it is used, so it never holds a gradient that zeroGrad dropped, nor an old one that backward replaced.
#include "optim_lists.h"

#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "entry.h"
#include "tensor.h"

namespace tn {

namespace {

struct KeptList {
  std::vector<Tensor*> slots;
  std::vector<at::Tensor> tensors;
  bool grads = false;  // a view: each tensor's gradient
};

// Marks the externals made here, so that no other value (an Archive, another addon's external) is taken for one.
constexpr napi_type_tag kKeptListTag = {0x8b4f5d2e6a1c3b70ULL, 0x1e9d7c4a2f6b8e53ULL};

KeptList* FromValue(napi_env env, napi_value v) {
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_external) return nullptr;
  bool tagged = false;
  if (napi_check_object_type_tag(env, v, &kKeptListTag, &tagged) != napi_ok || !tagged) return nullptr;
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok) return nullptr;
  return static_cast<KeptList*>(data);
}

KeptList& Get(Napi::Env env, const Napi::Value& v, const char* where) {
  KeptList* list = FromValue(env, v);
  if (list == nullptr) ThrowArg(env, where, "expected a list made by optimLists.list");
  return *list;
}

Napi::Value Make(Napi::Env env, std::unique_ptr<KeptList> list) {
  auto value = Napi::External<KeptList>::New(env, list.release(), [](Napi::Env, KeptList* l) { delete l; });
  NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, value, &kKeptListTag), Napi::Value());
  return value;
}

// Element i, as long as its handle still holds the tensor the list was made with.
const at::Tensor& Live(Napi::Env env, const KeptList& list, size_t i, const char* where) {
  const at::Tensor& kept = list.tensors[i];
  if (list.slots[i]->tensor.unsafeGetTensorImpl() != kept.unsafeGetTensorImpl()) {
    ThrowArg(env, where, "the Tensor has been disposed (element " + std::to_string(i) + " of a kept list)");
  }
  return kept;
}

// list(tensors): a native list of these Tensors.
Napi::Value List(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) ThrowArg(env, "optimLists.list", "expected an array of Tensors");
  Napi::Array arr = info[0].As<Napi::Array>();
  auto list = std::make_unique<KeptList>();
  const uint32_t n = arr.Length();
  list->slots.reserve(n);
  list->tensors.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    Tensor* t = Tensor::FromValue(arr.Get(i));
    if (t == nullptr) ThrowArg(env, "optimLists.list", "element " + std::to_string(i) + " is not a Tensor");
    list->tensors.push_back(t->value("optimLists.list"));
    list->slots.push_back(t);
  }
  return Make(env, std::move(list));
}

// gradsOf(list): the gradients of the list's tensors, read each time the view is used.
Napi::Value GradsOf(const Napi::CallbackInfo& info) {
  const KeptList& of = Get(info.Env(), info[0], "optimLists.gradsOf");
  if (of.grads) ThrowArg(info.Env(), "optimLists.gradsOf", "expected a list of tensors, got a gradients view");
  auto view = std::make_unique<KeptList>(of);
  view->grads = true;
  return Make(info.Env(), std::move(view));
}

// gradIndices(list): null when every tensor of the list has a gradient (a step's usual case: nothing to
// build), else the positions of those that have one, in order.
Napi::Value GradIndices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KeptList& list = Get(env, info[0], "optimLists.gradIndices");
  std::vector<uint32_t> with;
  with.reserve(list.tensors.size());
  for (size_t i = 0; i < list.tensors.size(); ++i) {
    if (Live(env, list, i, "optimLists.gradIndices").grad().defined()) with.push_back(static_cast<uint32_t>(i));
  }
  if (with.size() == list.tensors.size()) return env.Null();
  Napi::Array out = Napi::Array::New(env, with.size());
  for (size_t j = 0; j < with.size(); ++j) out.Set(static_cast<uint32_t>(j), Napi::Number::New(env, with[j]));
  return out;
}

const Entry kOptimLists[] = {
    {"list", List},
    {"gradsOf", GradsOf},
    {"gradIndices", GradIndices},
};

}  // namespace

bool ConvertKeptTensorList(Napi::Env env, const Napi::Value& v, const char* where, c10::IValue* out) {
  const KeptList* list = FromValue(env, v);
  if (list == nullptr) return false;
  c10::List<at::Tensor> tensors;
  tensors.reserve(list->tensors.size());
  for (size_t i = 0; i < list->tensors.size(); ++i) {
    const at::Tensor& t = Live(env, *list, i, where);
    if (!list->grads) {
      tensors.push_back(t);
      continue;
    }
    const at::Tensor& g = t.grad();
    if (!g.defined()) ThrowArg(env, where, "element " + std::to_string(i) + " of a gradients list has no gradient");
    tensors.push_back(g);
  }
  *out = std::move(tensors);
  return true;
}

void InitOptimLists(Napi::Env env, Napi::Object exports) {
  Napi::Object lists = Napi::Object::New(env);
  Export(env, lists, kOptimLists);
  exports.Set("optimLists", lists);
}

}  // namespace tn
