"""Shared by the two PyTorch benchmarks: CIFAR-10 binary reader (no torchvision dataset: no download there), args, the seed's ResNet-20."""
import argparse
import os
import numpy as np


def load(root, train, limit=None):
    """Returns (images uint8 N x 32 x 32 x 3, as torchvision's CIFAR10.data; labels int64 N)."""
    names = [f'data_batch_{i}.bin' for i in range(1, 6)] if train else ['test_batch.bin']
    raw = np.concatenate([np.fromfile(os.path.join(root, n), dtype=np.uint8).reshape(-1, 3073) for n in names])
    if limit:
        raw = raw[:limit]
    # Each record: 1 label byte, then 1024 R, 1024 G, 1024 B (row-major planes) -> HWC like torchvision.
    images = raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
    return images, raw[:, 0].astype(np.int64)


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--epochs', type=int, default=5)
    p.add_argument('--limit-train', type=int, default=None, help='first N training images (CPU smoke runs)')
    p.add_argument('--limit-test', type=int, default=None)
    p.add_argument('--data', default=os.environ.get('CIFAR10_ROOT', '../shared/cifar10/cifar-10-batches-bin'))
    p.add_argument('--device', default=None, help="default: 'cuda' when available")
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    if os.path.isdir(os.path.join(a.data, 'cifar-10-batches-bin')):  # accept the parent folder too
        a.data = os.path.join(a.data, 'cifar-10-batches-bin')
    return a


def median_2_to_n(xs):
    """Median of epochs 2..N: epoch 1 carries cuDNN autotuning, allocator growth and worker start-up."""
    rest = sorted(xs[1:]) or sorted(xs)
    m = len(rest) // 2
    return rest[m] if len(rest) % 2 else (rest[m - 1] + rest[m]) / 2


def resnet20():
    """The seed's ResNet-20 (kuangliu BasicBlock, projection shortcuts, avg_pool 8): 272,474 parameters."""
    import torch.nn as nn
    import torch.nn.functional as F

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return F.relu(out + self.shortcut(x))

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            widths, cin, stages = (16, 32, 64), 16, []
            for i, w in enumerate(widths):
                stages.append(nn.Sequential(*[Block(cin if j == 0 else w, w, (1 if i == 0 else 2) if j == 0 else 1) for j in range(3)]))
                cin = w
            self.layer1, self.layer2, self.layer3 = stages
            self.linear = nn.Linear(64, 10)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer3(self.layer2(self.layer1(out)))
            return self.linear(F.avg_pool2d(out, 8).flatten(1))

    return ResNet()
