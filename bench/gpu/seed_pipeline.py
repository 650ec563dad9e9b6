"""(1) The seed's PyTorch pipeline (kuangliu/pytorch-cifar main.py with ResNet-20), timed per epoch.

PIL transforms in 2 DataLoader workers, batch 128, SGD 0.1/0.9/1e-4, cosine, DataParallel + cudnn.benchmark
on CUDA, and loss.item()/correct.item() every step, as main.py does. Left out: its progress_bar (terminal
output) and checkpoint saving. Cosine T_max = --epochs (main.py: 200) so that all four runs share a schedule.
Prints one JSON line. Example: python3 bench/gpu/seed_pipeline.py --epochs 2 --limit-train 512 --device cpu
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

from common import load, median_2_to_n, parse_args, resnet20

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)

try:  # torchvision's transforms when importable, else the same operations written here
    import torchvision.transforms as T
    KIND = 'torchvision'
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)])
    test_tf = T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)])
except ImportError:
    _m, _s = torch.tensor(MEAN).view(3, 1, 1), torch.tensor(STD).view(3, 1, 1)

    def to_tensor_norm(a):  # ToTensor (HWC uint8 -> CHW float in [0,1]) + Normalize
        return (torch.from_numpy(np.array(a, dtype=np.uint8)).permute(2, 0, 1).contiguous().float().div(255) - _m) / _s

    def crop_flip_offsets():  # torchvision's draws: i, j in [0, 8], flip with probability 1/2
        i, j = torch.randint(0, 9, (2,)).tolist()
        return i, j, torch.rand(1).item() < 0.5

    try:
        from PIL import Image, ImageOps
        KIND = 'pil (own transforms: no torchvision)'

        def train_tf(img):
            i, j, flip = crop_flip_offsets()
            img = ImageOps.expand(img, border=4, fill=0).crop((j, i, j + 32, i + 32))  # zero padding as RandomCrop
            return to_tensor_norm(img.transpose(Image.FLIP_LEFT_RIGHT) if flip else img)
    except ImportError:
        Image = None
        KIND = 'numpy per-image ops in the workers (no torchvision, no PIL)'

        def train_tf(img):
            i, j, flip = crop_flip_offsets()
            img = np.pad(img, ((4, 4), (4, 4), (0, 0)))[i:i + 32, j:j + 32]
            return to_tensor_norm(img[:, ::-1] if flip else img)

    test_tf = to_tensor_norm
else:
    from PIL import Image


class CIFAR10(torch.utils.data.Dataset):
    """torchvision.datasets.CIFAR10's __getitem__ over a numpy array: PIL image per sample, then the transform."""

    def __init__(self, images, labels, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        img = self.images[i]
        return self.transform(Image.fromarray(img) if Image else img), int(self.labels[i])


def main():
    a = parse_args('seed PyTorch pipeline, timed')
    device = a.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    torch.manual_seed(a.seed)
    trainset = CIFAR10(*load(a.data, True, a.limit_train), train_tf)
    testset = CIFAR10(*load(a.data, False, a.limit_test), test_tf)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=128, shuffle=True, num_workers=2)
    testloader = torch.utils.data.DataLoader(testset, batch_size=100, shuffle=False, num_workers=2)

    net = resnet20().to(device)
    if device.startswith('cuda'):
        net = torch.nn.DataParallel(net)
        torch.backends.cudnn.benchmark = True
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=a.epochs)
    sync = torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)

    def run(train):
        net.train(train)
        loss_sum, correct, total = 0.0, 0, 0
        with torch.set_grad_enabled(train):
            for inputs, targets in (trainloader if train else testloader):
                inputs, targets = inputs.to(device), targets.to(device)
                outputs = net(inputs)
                loss = criterion(outputs, targets)
                if train:
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                loss_sum += loss.item()  # main.py reads these every step (a host-device sync each)
                total += targets.size(0)
                correct += outputs.max(1)[1].eq(targets).sum().item()
        sync()
        return 100.0 * correct / total

    train_s, test_s, acc = [], [], 0.0
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        train_acc = run(True)
        t1 = time.perf_counter()
        acc = run(False)
        t2 = time.perf_counter()
        scheduler.step()
        train_s.append(t1 - t0)
        test_s.append(t2 - t1)
        print(f'epoch {epoch + 1}: train {t1 - t0:.2f} s (acc {train_acc:.2f}%), test {t2 - t1:.2f} s, acc {acc:.2f}%', file=sys.stderr)
    both = [x + y for x, y in zip(train_s, test_s)]
    print(json.dumps({
        'name': 'pytorch-seed-pipeline', 'epochs': [round(x, 3) for x in train_s], 'median_2_to_N': round(median_2_to_n(train_s), 3),
        'test_seconds': [round(x, 3) for x in test_s], 'median_test_2_to_N': round(median_2_to_n(test_s), 3),
        'median_train_test_2_to_N': round(median_2_to_n(both), 3),
        'final_test_acc': acc, 'device': torch.cuda.get_device_name() if device.startswith('cuda') else device,
        'torch': torch.__version__, 'transforms': KIND, 'workers': 2, 'batch': 128, 'train_images': len(trainset),
    }))


if __name__ == '__main__':
    main()
