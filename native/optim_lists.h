// Native tensor lists for lib/optim (optim_lists.cc): a param group's parameters, their gradients and
// their state, kept between steps so that a multi-tensor op takes a whole list without unwrapping a JS
// handle per element. Generic: no optimizer maths here, only lists the generic operator call accepts.
#pragma once
#include <napi.h>
#include <ATen/core/ivalue.h>

namespace tn {

void InitOptimLists(Napi::Env env, Napi::Object exports);

// When `v` is a native tensor list: its tensors as a Tensor[] argument in *out, and true (a disposed
// element or a gradient that is gone throws a TorchError naming `where`). False for any other value.
bool ConvertKeptTensorList(Napi::Env env, const Napi::Value& v, const char* where, c10::IValue* out);

}  // namespace tn
