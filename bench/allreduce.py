# PyTorch's counterpart of bench/allreduce.ts: dist.all_reduce of 272,474 float32 (ResNet-20's gradients)
# on the ranks torchrun's environment describes (gloo); rank 0 prints {"ms": median} as JSON.
import json, sys, time
import torch
import torch.distributed as dist

calls = int(sys.argv[sys.argv.index('--calls') + 1]) if '--calls' in sys.argv else 200
dist.init_process_group('gloo')
t = torch.randn(272474)
times = []
for i in range(calls + 10):
    t0 = time.perf_counter()
    dist.all_reduce(t)
    if i >= 10:
        times.append((time.perf_counter() - t0) * 1000)
dist.destroy_process_group()
times.sort()
print(json.dumps({'ms': times[len(times) // 2]}))
