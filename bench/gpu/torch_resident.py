"""(2) PyTorch as a careful user writes it: the whole data set resident on the GPU as uint8, crop + flip as
one batched gather, channels_last, bf16 autocast, fused SGD (foreach, then plain, where unavailable), no
host-device sync inside an epoch. Same model, batch 128, SGD 0.1/0.9/1e-4, cosine (T_max = --epochs).
Prints one JSON line. Example: python3 bench/gpu/torch_resident.py --epochs 2 --limit-train 512 --device cpu
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

from common import load, median_2_to_n, parse_args, resnet20


def make_sgd(params):
    # fused=True exists from torch 2.4 (CUDA); foreach from 1.12. Torch 1.13 (the CPU smoke run) lacks fused.
    for kind in ('fused', 'foreach'):
        try:
            return torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4, **{kind: True}), kind
        except (TypeError, RuntimeError, ValueError):
            pass
    return torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4), 'plain'


def augment(x):
    """RandomCrop(32, padding=4) + RandomHorizontalFlip on a uint8 batch B x 3 x 32 x 32, as one gather."""
    b, dev = x.shape[0], x.device
    padded = F.pad(x, (4, 4, 4, 4))  # zeros, as RandomCrop's default fill
    ar = torch.arange(32, device=dev)
    rows = torch.randint(0, 9, (b, 1), device=dev) + ar
    cols = torch.randint(0, 9, (b, 1), device=dev) + ar
    cols = torch.where(torch.rand(b, 1, device=dev) < 0.5, cols.flip(1), cols)  # the flip folded into the column index
    return padded[torch.arange(b, device=dev)[:, None, None, None], torch.arange(3, device=dev)[None, :, None, None],
                  rows[:, None, :, None], cols[:, None, None, :]]


def main():
    a = parse_args('PyTorch, data resident on the device, timed')
    device = a.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    dev_type = device.split(':')[0]
    torch.manual_seed(a.seed)
    torch.backends.cudnn.benchmark = True

    def to_device(split, limit):
        x, y = load(a.data, split, limit)
        return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(device), torch.from_numpy(y).to(device)

    xtr, ytr = to_device(True, a.limit_train)
    xte, yte = to_device(False, a.limit_test)
    mean = torch.tensor((0.4914, 0.4822, 0.4465), device=device).view(1, 3, 1, 1) * 255
    std = torch.tensor((0.2023, 0.1994, 0.2010), device=device).view(1, 3, 1, 1) * 255
    norm = lambda u8: ((u8.float() - mean) / std).contiguous(memory_format=torch.channels_last)

    model = resnet20().to(device, memory_format=torch.channels_last)
    opt, sgd_kind = make_sgd(model.parameters())
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs)
    autocast = lambda: torch.autocast(device_type=dev_type, dtype=torch.bfloat16)
    sync = torch.cuda.synchronize if dev_type == 'cuda' else (lambda: None)

    def train_epoch():
        model.train()
        correct = torch.zeros((), dtype=torch.int64, device=device)
        perm = torch.randperm(len(ytr), device=device)
        for k in range(0, len(ytr), 128):  # last batch partial (391 steps), as the DataLoader without drop_last
            idx = perm[k:k + 128]
            x, y = norm(augment(xtr[idx])), ytr[idx]
            with autocast():
                out = model(x)
                loss = F.cross_entropy(out, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            correct += out.argmax(1).eq(y).sum()
        return 100.0 * correct.item() / len(ytr)  # the one sync of the epoch

    @torch.no_grad()
    def test():
        model.eval()
        correct = torch.zeros((), dtype=torch.int64, device=device)
        for k in range(0, len(yte), 500):
            with autocast():
                correct += model(norm(xte[k:k + 500])).argmax(1).eq(yte[k:k + 500]).sum()
        return 100.0 * correct.item() / len(yte)

    train_s, test_s, acc = [], [], 0.0
    for epoch in range(a.epochs):
        sync()
        t0 = time.perf_counter()
        train_acc = train_epoch()
        sync()
        t1 = time.perf_counter()
        acc = test()
        sync()
        t2 = time.perf_counter()
        sched.step()
        train_s.append(t1 - t0)
        test_s.append(t2 - t1)
        print(f'epoch {epoch + 1}: train {t1 - t0:.2f} s (acc {train_acc:.2f}%), test {t2 - t1:.2f} s, acc {acc:.2f}%', file=sys.stderr)
    both = [x + y for x, y in zip(train_s, test_s)]
    print(json.dumps({
        'name': 'pytorch-resident', 'epochs': [round(x, 3) for x in train_s], 'median_2_to_N': round(median_2_to_n(train_s), 3),
        'test_seconds': [round(x, 3) for x in test_s], 'median_test_2_to_N': round(median_2_to_n(test_s), 3),
        'median_train_test_2_to_N': round(median_2_to_n(both), 3),
        'final_test_acc': acc, 'device': torch.cuda.get_device_name() if dev_type == 'cuda' else device,
        'torch': torch.__version__, 'sgd': sgd_kind, 'amp': 'bf16', 'channels_last': True, 'train_images': len(ytr),
    }))


if __name__ == '__main__':
    main()
