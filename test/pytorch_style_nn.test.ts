// A small training script written as PyTorch code is (a model of nn modules, nn.init, loss modules,
// optimizers given PyTorch's snake_case keyword options, nn.utils.clip_grad_norm_ / clip_grad_value_,
// parameters_to_vector), beside the Python it was transcribed from: both run in float64 on the same seed,
// and the losses of every step, the total gradient norms and the final parameters agree. The nn options that
// were once silently ignored (nn.LSTM's batch_first, nn.Conv2d's padding_mode) are used the same way.
//
// The options are written as a Python user writes them (weight_decay, batch_first, padding_mode): the library
// accepts PyTorch's spelling of every option at run time, while its TypeScript types declare the camelCase
// names, so `kwargs` below hands the Python-spelled objects over as the declared option type.
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { nn, optim, Tensor } from '../lib';
import { hasPythonTorch, runPython } from './helpers/python';
import { tempDir } from './serialization/helpers';

const havePython = hasPythonTorch();
const F = nn.functional;

/** A keyword-options object spelled as in Python, passed where the camelCase option type is declared. */
function kwargs<T>(options: Record<string, unknown>): T {
  return options as T;
}

class Net extends nn.Module {
  conv = new nn.Conv2d(3, 4, 3, kwargs({ padding: 1, padding_mode: 'reflect', dtype: 'float64' }));
  fc1 = new nn.Linear(64, 16, { dtype: 'float64' });
  head = new nn.Linear(16, 5, { dtype: 'float64' });
  forward(x: Tensor): Tensor {
    const h = this.conv.forward(x).relu().flatten(1);
    return this.head.forward(this.fc1.forward(h).relu());
  }
}

interface Run {
  convOut: number[];
  losses: number[][];
  norms: number[];
  final: number[];
  stateKeys: string[];
}

function train(): Run {
  torch.manualSeed(0);
  const model = new Net();
  torch.manualSeed(1);
  nn.init.kaimingNormal_(model.conv.weight, { mode: 'fan_out', nonlinearity: 'relu' });
  nn.init.zeros_(model.conv.bias as Tensor);
  nn.init.xavierUniform_(model.fc1.weight);
  nn.init.constant_(model.fc1.bias as Tensor, 0.1);
  nn.init.normal_(model.head.weight, 0, 0.1);
  nn.init.zeros_(model.head.bias as Tensor);

  torch.manualSeed(2);
  const x = torch.randn(8, 3, 4, 4, { dtype: 'float64' });
  // JS has no integer literal: class indices say int64 (lib/tensor.ts), where Python infers it.
  const y = torch.tensor([0, 1, 2, 3, 4, -1, 1, -1], { dtype: 'int64' });
  const yAll = torch.tensor([0, 1, 2, 3, 4, 0, 1, 2], { dtype: 'int64' });
  const multi = torch.rand(8, 5, { dtype: 'float64' }).gt(0.5).double();
  const teacher = torch.randn(8, 5, { dtype: 'float64' });
  const target = torch.randn(8, 5, { dtype: 'float64' });

  const ce = new nn.CrossEntropyLoss(kwargs({ label_smoothing: 0.1, ignore_index: -1 }));
  const mse = new nn.MSELoss();
  const bce = new nn.BCEWithLogitsLoss(kwargs({ pos_weight: torch.tensor([1, 2, 0.5, 1, 3], { dtype: 'float64' }) }));
  const kl = new nn.KLDivLoss({ reduction: 'batchmean' });
  const nll = new nn.NLLLoss({ weight: torch.tensor([1, 0.5, 2, 1, 1], { dtype: 'float64' }) });

  const adamw = new optim.AdamW([...model.conv.parameters(), ...model.fc1.parameters()], kwargs({ lr: 0.01, weight_decay: 0.05 }));
  const sgd = new optim.SGD(model.head.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });

  const convOut = model.conv.forward(x).flatten().tolist() as number[];
  const losses: number[][] = [];
  const norms: number[] = [];
  for (let step = 0; step < 5; step++) {
    adamw.zeroGrad();
    sgd.zeroGrad();
    const logits = model.forward(x);
    const logp = F.logSoftmax(logits, 1);
    const parts = [
      ce.forward(logits, y),
      mse.forward(logits, target),
      bce.forward(logits, multi),
      kl.forward(logp, F.softmax(teacher, 1)),
      nll.forward(logp, yAll),
    ];
    const loss = parts.reduce((a, b) => a.add(b));
    loss.backward();
    norms.push(nn.utils.clipGradNorm_(model.parameters(), 1.0).item() as number);
    nn.utils.clipGradValue_(model.parameters(), 0.05);
    adamw.step();
    sgd.step();
    losses.push([...parts, loss].map((t) => t.item() as number));
  }
  const final = nn.utils.parametersToVector(model.parameters()).detach().tolist() as number[];
  return { convOut, losses, norms, final, stateKeys: Object.keys(model.stateDict()) };
}

const TRAIN_PY = `
import torch
import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, padding_mode='reflect', dtype=torch.float64)
        self.fc1 = nn.Linear(64, 16, dtype=torch.float64)
        self.head = nn.Linear(16, 5, dtype=torch.float64)
    def forward(self, x):
        h = self.conv(x).relu().flatten(1)
        return self.head(self.fc1(h).relu())

torch.manual_seed(0)
model = Net()
torch.manual_seed(1)
nn.init.kaiming_normal_(model.conv.weight, mode='fan_out', nonlinearity='relu')
nn.init.zeros_(model.conv.bias)
nn.init.xavier_uniform_(model.fc1.weight)
nn.init.constant_(model.fc1.bias, 0.1)
nn.init.normal_(model.head.weight, 0, 0.1)
nn.init.zeros_(model.head.bias)

torch.manual_seed(2)
x = torch.randn(8, 3, 4, 4, dtype=torch.float64)
y = torch.tensor([0, 1, 2, 3, 4, -1, 1, -1])
y_all = torch.tensor([0, 1, 2, 3, 4, 0, 1, 2])
multi = (torch.rand(8, 5, dtype=torch.float64) > 0.5).double()
teacher = torch.randn(8, 5, dtype=torch.float64)
target = torch.randn(8, 5, dtype=torch.float64)

ce = nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=-1)
mse = nn.MSELoss()
bce = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1, 2, 0.5, 1, 3], dtype=torch.float64))
kl = nn.KLDivLoss(reduction='batchmean')
nll = nn.NLLLoss(weight=torch.tensor([1, 0.5, 2, 1, 1], dtype=torch.float64))

adamw = torch.optim.AdamW([*model.conv.parameters(), *model.fc1.parameters()], lr=0.01, weight_decay=0.05)
sgd = torch.optim.SGD(model.head.parameters(), lr=0.1, momentum=0.9, nesterov=True)

conv_out = model.conv(x).flatten().tolist()
losses, norms = [], []
for step in range(5):
    adamw.zero_grad()
    sgd.zero_grad()
    logits = model(x)
    logp = F.log_softmax(logits, 1)
    parts = [ce(logits, y), mse(logits, target), bce(logits, multi), kl(logp, F.softmax(teacher, 1)), nll(logp, y_all)]
    loss = sum(parts[1:], parts[0])
    loss.backward()
    norms.append(nn.utils.clip_grad_norm_(model.parameters(), 1.0).item())
    nn.utils.clip_grad_value_(model.parameters(), 0.05)
    adamw.step()
    sgd.step()
    losses.append([t.item() for t in parts + [loss]])
final = nn.utils.parameters_to_vector(model.parameters()).detach().tolist()
print(json.dumps(dict(convOut=conv_out, losses=losses, norms=norms, final=final, stateKeys=list(model.state_dict().keys()))))
`;

// An LSTM with batch_first=True and a Conv2d with padding_mode='reflect' on Python's weights (a .pth of
// their state dicts) and inputs: their outputs are what Python's modules give.
const MODULES_PY = `
import torch
import torch.nn as nn
torch.manual_seed(3)
lstm = nn.LSTM(6, 8, batch_first=True, dtype=torch.float64)
conv = nn.Conv2d(2, 3, 3, padding=2, padding_mode='reflect', dtype=torch.float64)
x = torch.randn(3, 5, 6, dtype=torch.float64)
img = torch.randn(1, 2, 5, 5, dtype=torch.float64)
torch.save({'lstm': lstm.state_dict(), 'conv': conv.state_dict(), 'x': x, 'img': img}, inp['path'])
out, (h, c) = lstm(x)
print(json.dumps(dict(out=out.tolist(), h=h.tolist(), c=c.tolist(), conv=conv(img).tolist())))
`;

function expectClose(got: unknown, want: unknown, rtol: number, where: string): void {
  if (Array.isArray(want)) {
    expect((got as unknown[]).length, where).toBe(want.length);
    want.forEach((w, i) => expectClose((got as unknown[])[i], w, rtol, `${where}[${i}]`));
  } else {
    const [g, w] = [got as number, want as number];
    expect(Math.abs(g - w), `${where}: ${g} vs ${w}`).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(w)));
  }
}

describe('a PyTorch-style nn training script', () => {
  it.skipIf(!havePython)('trains like its Python transcription: losses per step, total norms, final parameters (needs Python torch)', () => {
    const py = runPython<Run>(TRAIN_PY);
    const ours = train();
    expect(ours.stateKeys).toEqual(py.stateKeys);
    expectClose(ours.convOut, py.convOut, 1e-12, 'reflect-padded conv');
    expectClose(ours.losses, py.losses, 1e-10, 'losses [ce, mse, bce, kl, nll, total] per step');
    expectClose(ours.norms, py.norms, 1e-10, 'clip_grad_norm_ total norms');
    // The clipping did something: the first steps' norms are over max_norm.
    expect(py.norms[0]).toBeGreaterThan(1);
    expectClose(ours.final, py.final, 1e-9, 'parameters_to_vector after 5 steps');
  });

  it.skipIf(!havePython)('runs nn.LSTM(6, 8, batch_first) and a reflect-padded nn.Conv2d on Python\'s weights as Python does (needs Python torch)', () => {
    const file = path.join(tempDir('style-nn'), 'modules.pth');
    const py = runPython(MODULES_PY, { path: file });
    const saved = torch.load(file) as { lstm: Record<string, Tensor>; conv: Record<string, Tensor>; x: Tensor; img: Tensor };
    const lstm = new nn.LSTM(6, 8, kwargs({ batch_first: true, dtype: 'float64' }));
    const conv = new nn.Conv2d(2, 3, 3, kwargs({ padding: 2, padding_mode: 'reflect', dtype: 'float64' }));
    lstm.loadStateDict(saved.lstm);
    conv.loadStateDict(saved.conv);
    expect([lstm.batchFirst, conv.paddingMode]).toEqual([true, 'reflect']);
    const [out, [h, c]] = lstm.forward(saved.x);
    expect(out.shape).toEqual([3, 5, 8]); // batch first: [batch, seq, hidden]
    expectClose(out.tolist(), py.out, 1e-12, 'LSTM output');
    expectClose(h.tolist(), py.h, 1e-12, 'h_n');
    expectClose(c.tolist(), py.c, 1e-12, 'c_n');
    const y = conv.forward(saved.img);
    expect(y.shape).toEqual([1, 3, 7, 7]);
    expectClose(y.tolist(), py.conv, 1e-12, 'reflect-padded conv');
  });
});
