// What jit.cc, script_module.cc and traced_function.cc share (not part of the addon's interface).
#pragma once
#include <ATen/core/function_schema.h>
#include <ATen/core/stack.h>
#include <napi.h>
#include <torch/csrc/jit/api/module.h>

#include <string>

#include "worker.h"

namespace tn {

// TorchScript runtime errors carry the script's traceback over many lines, ending in the original
// error ("RuntimeError: ..."). One line: the original error, without its traceback. A Cleaner (entry.h).
std::string JitMessage(const std::string& raw);

// The arguments of `schema` (the first `skip` excluded: self for a method) read from JS values, with the
// count checked against the declaration: "forward: expected 1 input (x: Tensor), got 2".
torch::jit::Stack ArgsFromJs(Napi::Env env, const c10::FunctionSchema& schema, size_t skip, const Napi::Array& args,
                             const std::string& where);

// A pool job's result as a JS value, on the JS thread (Tensors registered in the current tidy scope).
Finish FinishValue(c10::IValue v);

// ScriptModule (script_module.cc): a TorchScript module as a JS object.
void InitScriptModule(Napi::Env env, Napi::Object target);
Napi::Value NewScriptModule(Napi::Env env, torch::jit::Module module);

// TracedFunction (traced_function.cc): a graph recorded from our own modules; jit.trace(fn, inputs[]).
void InitTracedFunction(Napi::Env env, Napi::Object target);
Napi::Value Trace(const Napi::CallbackInfo& info);

}  // namespace tn
