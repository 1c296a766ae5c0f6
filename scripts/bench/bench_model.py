"""The benchmarked models and their input files, shared by EZKL and Veris.

Three architectures (PyTorch, seeded), each trained for a few seconds on
scikit-learn's handwritten digits (8x8, 1,797 images) upsampled to 28x28 and
exported to ONNX (opset 13, fp32, input `[1, 1, 28, 28]` named `input`):
- `mlp`: 784-128-64-10 with ReLU;
- `lenet`: the LeNet-style CNN EZKL was measured on in `shared/anchors.md`:
  conv 1->4 5x5, ReLU, avgpool 2, conv 4->8 5x5, ReLU, avgpool 2, flatten,
  fc 128->32, ReLU, fc 32->10.
- `lenet5`: LeNet-5 (LeCun et al. 1998) on the same 28x28 input with conv1
  padded by 2 (so the feature maps are the classic 28, 14, 10, 5): conv 1->6
  5x5, ReLU, avgpool 2, conv 6->16 5x5, ReLU, avgpool 2, flatten 400,
  fc 400->120, ReLU, fc 120->84, ReLU, fc 84->10 (61,706 parameters).
The proved input is the first held-out image; the calibration set (the same
samples for both provers) is the first training images. Each is written in
EZKL's form (`{"input_data": [flat]}`) and Veris's (named wire tensors).
"""

import json
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F

INPUT_SHAPE = [1, 1, 28, 28]
TRAIN_SPLIT = 1500


def digits_28x28(seed: int):
    """Digits as `[N, 1, 28, 28]` floats in [0, 1] and labels, seeded shuffle."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16.0
    images = F.interpolate(images, size=(28, 28), mode="bilinear", align_corners=False).clamp(0.0, 1.0)
    labels = torch.tensor(digits.target, dtype=torch.long)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    return images[order], labels[order]


def mlp() -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(784, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 10),
    )


def lenet() -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 5),
        torch.nn.ReLU(),
        torch.nn.AvgPool2d(2),
        torch.nn.Conv2d(4, 8, 5),
        torch.nn.ReLU(),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(128, 32),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 10),
    )


def lenet5() -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2),
        torch.nn.ReLU(),
        torch.nn.AvgPool2d(2),
        torch.nn.Conv2d(6, 16, 5),
        torch.nn.ReLU(),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(400, 120),
        torch.nn.ReLU(),
        torch.nn.Linear(120, 84),
        torch.nn.ReLU(),
        torch.nn.Linear(84, 10),
    )


# name -> (constructor, description)
ARCHITECTURES = {
    "mlp": (mlp, "MLP 784-128-64-10 (ReLU)"),
    "lenet": (lenet, "LeNet-style CNN (conv 1->4 5x5, avgpool, conv 4->8 5x5, avgpool, fc 128->32->10)"),
    "lenet5": (lenet5, "LeNet-5 (conv 1->6 5x5 pad 2, avgpool, conv 6->16 5x5, avgpool, fc 400->120->84->10)"),
}


def train(model: torch.nn.Module, images, labels, seed: int, epochs: int = 15) -> None:
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        for i in torch.randperm(len(labels)).split(64):
            opt.zero_grad()
            F.cross_entropy(model(images[i]), labels[i]).backward()
            opt.step()


def export_onnx(model: torch.nn.Module, path: Path) -> None:
    example = torch.zeros(INPUT_SHAPE)
    kwargs = dict(opset_version=13, input_names=["input"], output_names=["logits"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:  # torch >= 2.9 defaults to the dynamo exporter (needs onnxscript); use the TorchScript one
            torch.onnx.export(model, example, str(path), dynamo=False, **kwargs)
        except TypeError:  # older torch: no `dynamo` argument
            torch.onnx.export(model, example, str(path), **kwargs)


def flat(t: torch.Tensor) -> list:
    return [float(v) for v in t.flatten().tolist()]


def veris_tensor(t: torch.Tensor) -> dict:
    return {"input": {"dtype": "float32", "shape": INPUT_SHAPE, "data": flat(t)}}


def write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value))
    return path


def build(out: Path, arch: str, seed: int, trained: bool, calibration_samples: int) -> dict:
    """Writes model `arch` and its inputs under `out`; returns their paths and the float reference."""
    out.mkdir(parents=True, exist_ok=True)
    images, labels = digits_28x28(seed)
    train_x, train_y = images[:TRAIN_SPLIT], labels[:TRAIN_SPLIT]
    test_x, test_y = images[TRAIN_SPLIT:], labels[TRAIN_SPLIT:]
    torch.manual_seed(seed)
    model = ARCHITECTURES[arch][0]()
    if trained:
        train(model, train_x, train_y, seed)
    model.eval()
    with torch.no_grad():
        accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
        x = test_x[:1]
        reference = flat(model(x))
    calib = train_x[:calibration_samples]
    onnx_path = out / f"{arch}.onnx"
    export_onnx(model, onnx_path)
    return {
        "onnx": onnx_path,
        "ezkl_input": write_json(out / "ezkl-input.json", {"input_data": [flat(x)]}),
        "ezkl_calibration": write_json(out / "ezkl-calibration.json", {"input_data": [flat(calib)]}),
        "veris_input": write_json(out / "veris-input.json", veris_tensor(x)),
        "veris_calibration": write_json(out / "veris-calibration.json", [veris_tensor(s[None]) for s in calib]),
        "reference_logits": reference,
        "label": int(test_y[0]),
        "float_test_accuracy": accuracy,
        "trained": trained,
        "calibration_samples": len(calib),
    }
