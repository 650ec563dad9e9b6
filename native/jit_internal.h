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

// ScriptModule (script_module.cc): a TorchScript module as a JS object.
void InitScriptModule(Napi::Env env, Napi::Object target);
Napi::Value NewScriptModule(Napi::Env env, torch::jit::Module module);

// TracedFunction (traced_function.cc): a graph recorded from our own modules; jit.trace(fn, inputs[]).
void InitTracedFunction(Napi::Env env, Napi::Object target);
Napi::Value Trace(const Napi::CallbackInfo& info);

}  // namespace tn
