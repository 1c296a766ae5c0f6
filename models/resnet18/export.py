"""Exports torchvision's ResNet-18 (10 classes, 32x32 RGB input) to ONNX.

    python3 models/resnet18/export.py [--side 32] [--out models/resnet18/resnet18.onnx]

`--side S` exports an S x S input instead (same weights; the default output
is then `resnet18-SxS.onnx`): at 64x64 the spatial sizes are 32, 16, 8, 4 and
the global average pool averages a 2x2 plane.

The architecture is `torchvision.models.resnet18(num_classes=10)` as
torchvision defines it (7x7 stride-2 stem conv, BatchNorm, ReLU, 4 stages of
2 BasicBlocks with 1x1 stride-2 projection shortcuts, adaptive average pool,
fc 512 -> 10), unchanged, the stem's 3x3 stride-2 pad-1 MaxPool included
(the proof system proves it, docs/proof-system.md 9.10). At 32x32 the spatial
sizes are 16 (stem conv), 8 (stem MaxPool and layer1), 4, 2, 1, and the
adaptive average pool is a global one. `--no-maxpool` replaces the stem
MaxPool by Identity (sizes 16, 16, 8, 4, 2: the variant measured before
MaxPool was provable).

Weights are torchvision's own initialisation (Kaiming normal convs, BN
gamma 1 / beta 0) drawn with `torch.manual_seed(0)`; the BatchNorm running
statistics are then set to seeded, non-trivial values (mean ~ N(0, 0.1),
var ~ U(0.5, 1.5), gamma ~ U(0.5, 1.5), beta ~ N(0, 0.1)) so that the exact
engine's BN folding does real work. No training: the model is for proving
cost and bit-exactness, not accuracy.

Export: legacy TorchScript exporter (`dynamo=False`), opset 17, eval mode,
`TrainingMode.PRESERVE` (BatchNormalization nodes kept, the engine folds
them), input `input` float32 [N, 3, 32, 32] (symbolic N), output `logits`.
The exported graph's operators are printed; the script checks it with
`onnx.checker.check_model`.
"""

import argparse
import collections
import os

import onnx
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))


def build(no_maxpool: bool) -> torch.nn.Module:
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10)
    if no_maxpool:
        model.maxpool = torch.nn.Identity()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(0.1 * torch.randn(n, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(n, generator=gen))
                m.weight.copy_(0.5 + torch.rand(n, generator=gen))
                m.bias.copy_(0.1 * torch.randn(n, generator=gen))
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=32, help="input height and width (default 32)")
    parser.add_argument("--out", help="output file (default resnet18.onnx, or resnet18-SxS.onnx for --side S)")
    parser.add_argument("--no-maxpool", action="store_true", help="replace the stem MaxPool by Identity")
    args = parser.parse_args()
    if not 32 <= args.side <= 512 or args.side % 32:
        parser.error("--side must be a multiple of 32 from 32 to 512")
    name = "resnet18.onnx" if args.side == 32 else f"resnet18-{args.side}x{args.side}.onnx"
    out = args.out or os.path.join(HERE, name)
    torch.set_num_threads(1)
    model = build(args.no_maxpool)
    example = torch.zeros(1, 3, args.side, args.side)
    torch.onnx.export(
        model,
        (example,),
        out,
        dynamo=False,
        opset_version=17,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False,
    )
    graph = onnx.load(out)
    onnx.checker.check_model(graph)
    ops = collections.Counter(n.op_type for n in graph.graph.node)
    params = sum(p.numel() for p in model.parameters())
    print(f"wrote {out}: {os.path.getsize(out)} bytes, {params} parameters, input [N, 3, {args.side}, {args.side}]")
    print("nodes:", dict(sorted(ops.items())))


if __name__ == "__main__":
    main()
