"""Compiles a model of this library into an AOTInductor package (.pt2) that torch.export.load runs in Node.

    python examples/export_pt2.py checkpoint/ckpt.pth resnet20.pt2 [--device cpu|cuda] [--max-batch 256]

Needs PyTorch 2.6 or newer (torch.export and torch._inductor.aoti_compile_and_package) and a C++ compiler;
the package runs on the device it was compiled for, with a libtorch of that PyTorch version or newer.
`npx libtorch-node export` runs this script with the first Python it finds that has torch.

The checkpoint is what training writes (checkpoint/ckpt.pth: {net: state dict, acc, epoch}; last.pth and a
bare state dict work too): a CIFAR ResNet whose depth, shortcut type and classes come from its keys. The
batch dimension is exported as dynamic, 1 to --max-batch. The package's metadata also records the flat
inputs' names, dtypes and shapes (with the dynamic bounds) and the PyTorch version, which torch.export.load
uses to check each call before the compiled code runs (compile_package below does it for any model).
"""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

INPUTS_KEY = 'libtorch_node.inputs'
TORCH_KEY = 'libtorch_node.torch'


def dim_name(dynamic_shapes, input_name, index):
    """The torch.export.Dim given for an input's dimension in dynamic_shapes (keyed by argument name), if any."""
    spec = dynamic_shapes.get(input_name) if isinstance(dynamic_shapes, dict) else None
    if isinstance(spec, dict):
        return getattr(spec.get(index), '__name__', None)
    if isinstance(spec, (list, tuple)) and index < len(spec):
        return getattr(spec[index], '__name__', None)
    return None


def input_specs(ep, dynamic_shapes=None):
    """Each flat user input of an ExportedProgram: name, dtype, shape with {min, max, name} for dynamic dims."""
    placeholders = {n.name: n for n in ep.graph.nodes if n.op == 'placeholder'}
    specs = []
    for name in ep.graph_signature.user_inputs:
        val = placeholders[name].meta['val']
        shape = []
        for i, d in enumerate(val.shape):
            if isinstance(d, int):
                shape.append(d)
                continue
            r = ep.range_constraints[d.node.expr]
            dim = {'min': int(r.lower), 'max': int(r.upper) if r.upper.is_finite else None}
            label = dim_name(dynamic_shapes, name, i)
            if label:
                dim['name'] = label
            shape.append(dim)
        specs.append({'name': name, 'dtype': str(val.dtype).replace('torch.', ''), 'shape': shape})
    return specs


def compile_package(model, example_inputs, package_path, dynamic_shapes=None):
    """torch.export.export + aoti_compile_and_package, with the metadata torch.export.load checks calls by."""
    with torch.no_grad():
        ep = torch.export.export(model, example_inputs, dynamic_shapes=dynamic_shapes)
        metadata = {INPUTS_KEY: json.dumps(input_specs(ep, dynamic_shapes)), TORCH_KEY: torch.__version__}
        return torch._inductor.aoti_compile_and_package(
            ep, package_path=package_path, inductor_configs={'aot_inductor.metadata': metadata})


# The CIFAR ResNet of lib/models/resnet.ts (He et al. 2016; kuangliu's layout and state-dict keys).
class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride, option):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        self.pad = 0
        if stride != 1 or in_planes != planes:
            if option == 'B':
                self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
            else:
                self.pad = planes // 4

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        short = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad)) if self.pad else self.shortcut(x)
        return F.relu(out + short)


class ResNet(nn.Module):
    def __init__(self, blocks, num_classes, option):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, in_planes = [], 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            seq = []
            for s in [stride] + [1] * (blocks - 1):
                seq.append(BasicBlock(in_planes, planes, s, option))
                in_planes = planes
            layers.append(nn.Sequential(*seq))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(64, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


def resnet_from_checkpoint(path):
    """The checkpoint's CIFAR ResNet, as lib/train/classify.ts builds it: depth, shortcut, classes from the keys."""
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    sd = ckpt.get('net', ckpt) if isinstance(ckpt, dict) else ckpt
    sd = {k.removeprefix('module.'): v for k, v in sd.items()}
    if 'linear.weight' not in sd:
        raise SystemExit(f"{path}: not a CIFAR ResNet state dict (no linear.weight)")
    blocks = len({k.split('.')[1] for k in sd if k.startswith('layer1.')})
    option = 'B' if any('.shortcut.' in k for k in sd) else 'A'
    net = ResNet(blocks, sd['linear.weight'].shape[0], option)
    net.load_state_dict(sd)
    return net.eval()


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('checkpoint', help='ckpt.pth / last.pth from training, or a bare state dict')
    p.add_argument('output', help='the .pt2 package to write')
    p.add_argument('--device', default='cpu', help='cpu or cuda: the device the package runs on')
    p.add_argument('--max-batch', type=int, default=1024, help='the largest batch the package accepts')
    p.add_argument('--size', type=int, default=32, help='image size (32 for CIFAR)')
    args = p.parse_args()
    net = resnet_from_checkpoint(args.checkpoint).to(args.device)
    x = torch.randn(2, 3, args.size, args.size, device=args.device)
    batch = torch.export.Dim('batch', min=1, max=args.max_batch)
    out = compile_package(net, (x,), args.output, dynamic_shapes={'x': {0: batch}})
    print(out)


if __name__ == '__main__':
    main()
