# Compiles the export tests' AOTInductor packages and Python's reference outputs (run by fixtures.ts,
# after the seed's model source), with examples/export_pt2.py's compile_package (the metadata
# torch.export.load checks inputs by). argv: output folder, examples folder. Prints one JSON line.
import json, sys
import torch
import torch.nn as nn

sys.path.insert(0, sys.argv[2])
from export_pt2 import compile_package

torch.manual_seed(0)
out_dir = sys.argv[1]


class TwoInputs(nn.Module):
    """Two inputs, a nested output: (tensor, [tensor, tensor]) as PyTorch's pytree flattens it."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)

    def forward(self, x, y):
        h = self.fc(x) + y
        return h.relu(), [h.sum(1), h * 2.0]


net = ResNet20().eval()
with torch.no_grad():
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
two = TwoInputs().eval()

batch = torch.export.Dim('batch', min=1, max=64)
resnet_path = compile_package(net, (torch.randn(4, 3, 32, 32),), out_dir + '/resnet20.pt2',
                              dynamic_shapes={'x': {0: batch}})
two_path = compile_package(two, (torch.randn(3, 6), torch.randn(3, 4)), out_dir + '/two_inputs.pt2',
                           dynamic_shapes={'x': {0: batch}, 'y': {0: batch}})

resnet = torch._inductor.aoti_load_package(resnet_path)
two_loaded = torch._inductor.aoti_load_package(two_path)
ref = {'resnet': {}, 'two': {}}
for n in (1, 7, 64):
    x = torch.randn(n, 3, 32, 32)
    with torch.no_grad():
        ref['resnet'][n] = {'x': x.tolist(), 'out': resnet(x).tolist(), 'eager': net(x).tolist()}
for n in (1, 5):
    x, y = torch.randn(n, 6), torch.randn(n, 4)
    a, (b, c) = two_loaded(x, y)
    ref['two'][n] = {'x': x.tolist(), 'y': y.tolist(), 'out': [a.tolist(), [b.tolist(), c.tolist()]]}


def relabel(src, dst, **changes):
    """A copy of a package whose metadata says otherwise (compiled for CUDA, by a newer PyTorch): what
    export.load must refuse before it maps the package's code, without a GPU or that PyTorch at hand."""
    import zipfile
    relabelled = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w', zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            # <hash>_metadata.json (2.6), <hash>.wrapper_metadata.json and .kernel_metadata.json (newer)
            if item.filename.endswith('metadata.json'):
                meta = json.loads(data)
                meta.update(changes)
                data = json.dumps(meta).encode()
                relabelled += 1
            zout.writestr(item, data)
    if not relabelled:  # a package layout this script does not know: say so here, not as a wrong test later
        raise SystemExit(f'relabel: no *metadata.json in {src} (torch {torch.__version__}): the package layout changed')


relabel(two_path, out_dir + '/two_inputs_cuda.pt2', AOTI_DEVICE_KEY='cuda')
relabel(two_path, out_dir + '/two_inputs_newer.pt2', **{'libtorch_node.torch': '99.1.0'})

ref['torch'] = torch.__version__
print(json.dumps(ref))
