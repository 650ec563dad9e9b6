// TorchScript files written by Python torch (the same libtorch version as the addon) for the jit
// tests: a traced ResNet-20 (the seed's model) and a scripted model with control flow. torch.jit.script
// reads the class's source, so the script runs from a file rather than `python -c`.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PYTHON } from '../helpers/python';
import { SEED_MODEL } from '../helpers/seed_model';

export const SCRIPTED_MODEL = `
import torch
from typing import List

class Gate(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(6, 4)
        self.bn = torch.nn.BatchNorm1d(4)
        self.scale = 3

    def forward(self, x: torch.Tensor, negate: bool = False) -> torch.Tensor:
        h = self.bn(self.fc(x))
        if bool(h.sum() > 0):
            h = torch.relu(h) * self.scale
        else:
            h = torch.tanh(h) - 1.0
        if negate:
            h = -h
        return h

    @torch.jit.export
    def split(self, x: torch.Tensor, k: int) -> List[torch.Tensor]:
        return [x[:, :k] * 2.0, x[:, k:].sum(1)]
`;

export interface JitFixtures {
  dir: string;
  resnet: string;
  scripted: string;
  /** Inputs and Python's outputs, as nested lists. */
  ref: {
    x: number[][][][];
    resnetOut: number[][];
    g: number[][];
    gOut: number[][];
    gNeg: number[][];
    gFlipped: number[][];
    gFlippedOut: number[][];
    gTrainOut: number[][];
    split: [number[][], number[]];
    stateKeys: string[];
    fcWeight: number[][];
    resnetKeys: string[];
  };
}

const GENERATE = `
import json, sys, torch
torch.manual_seed(0)
torch.set_num_threads(1)
out_dir = sys.argv[1]

net = ResNet20().eval()
with torch.no_grad():
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
x = torch.randn(4, 3, 32, 32)
traced = torch.jit.trace(net, x)
traced.save(out_dir + '/resnet20_traced.pt')
with torch.no_grad():
    resnet_out = net(x)

gate = torch.jit.script(Gate())
with torch.no_grad():
    gate.bn.running_mean.uniform_(-0.5, 0.5)
    gate.bn.running_var.uniform_(0.5, 2.0)
gate.eval()
gate.save(out_dir + '/gate_scripted.pt')
g = torch.randn(5, 6)
with torch.no_grad():
    g_out = gate(g)
    g_neg = gate(g, True)
    # An input for the other branch of the if: the sum's sign flips.
    flipped = g
    for s in (1.0, -1.0, 3.0, -3.0):
        if bool((gate.bn(gate.fc(g * s)).sum() > 0)) != bool((gate.bn(gate.fc(g)).sum() > 0)):
            flipped = g * s
            break
    flipped_out = gate(flipped)
    split = gate.split(g, 2)
    gate.train()
    train_out = gate(g)
print(json.dumps({
    'x': x.tolist(), 'resnetOut': resnet_out.tolist(),
    'g': g.tolist(), 'gOut': g_out.tolist(), 'gNeg': g_neg.tolist(),
    'gFlipped': flipped.tolist(), 'gFlippedOut': flipped_out.tolist(), 'gTrainOut': train_out.tolist(),
    'split': [split[0].tolist(), split[1].tolist()],
    'stateKeys': list(gate.state_dict().keys()),
    'fcWeight': gate.fc.weight.tolist(),
    'resnetKeys': list(traced.state_dict().keys()),
}))
`;

/** Writes the models into a fresh temporary folder and returns Python's reference numbers. */
export function makeJitFixtures(): JitFixtures {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-jit-'));
  const script = path.join(dir, 'generate.py');
  fs.writeFileSync(script, SEED_MODEL + SCRIPTED_MODEL + GENERATE);
  const out = execFileSync(PYTHON, [script, dir], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  const lines = out.trim().split('\n');
  return {
    dir,
    resnet: path.join(dir, 'resnet20_traced.pt'),
    scripted: path.join(dir, 'gate_scripted.pt'),
    ref: JSON.parse(lines[lines.length - 1]),
  };
}
