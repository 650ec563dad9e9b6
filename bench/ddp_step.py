# PyTorch's counterpart of bench/ddp-step.ts: a ResNet-20 training step under DistributedDataParallel (gloo)
# on the ranks torchrun's environment describes; rank 0 prints {"ms": median step} as JSON.
import json, os, sys, time
import torch
import torch.distributed as dist
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from resnet20 import ResNet20  # noqa: E402  (written by bench/ddp-step.ts: the seed's model)

steps = int(sys.argv[sys.argv.index('--steps') + 1]) if '--steps' in sys.argv else 20
batch = int(sys.argv[sys.argv.index('--batch') + 1]) if '--batch' in sys.argv else 64
torch.set_num_threads(1)
dist.init_process_group('gloo')
torch.manual_seed(0)
model = torch.nn.parallel.DistributedDataParallel(ResNet20('B'))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
x = torch.randn(batch, 3, 32, 32)
y = torch.randint(0, 10, (batch,))
times = []
for i in range(steps + 3):
    t0 = time.perf_counter()
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if i >= 3:
        times.append((time.perf_counter() - t0) * 1000)
dist.destroy_process_group()
times.sort()
print(json.dumps({'ms': times[len(times) // 2]}))
