#!/usr/bin/env python3
"""Train and export the Veris LeNet-5 reference CNN (handwritten digits, 32x32).

The classic LeNet-5 (LeCun et al. 1998) in PyTorch, with ReLU activations and
average pooling, trained on the UCI 8x8 handwritten digits bundled
with scikit-learn, upscaled to 32x32 (bilinear, then rounded to 8-bit grey
levels k/256). Exported with the legacy TorchScript ONNX exporter and checked
against PyTorch with onnxruntime. Writes, next to this file:

  lenet5.onnx       input "input" [N,1,32,32] f32 -> output "logits" [N,10] f32
  samples.json      the first 8 held-out samples with their labels
  calibration.json  the first 32 training images, an array of single-image inputs

(No held-out batch file: it would be 3.7 MB; the script prints the held-out
accuracy of PyTorch and onnxruntime instead.)

The train/held-out split is the one of models/digits/train.py (same call, same
seed), so the held-out images are the same digits as models/digits/heldout.json
(checked when that file is present).

Pinned versions (Python 3.11, x86-64 Linux), see requirements.txt:
  torch==2.15.0  numpy==2.4.6  scikit-learn==1.9.1  onnx==1.23.2  onnxruntime==1.31.1

Run from anywhere:  python3 models/lenet5/train.py
Deterministic: fixed seeds, one thread everywhere, deterministic torch
algorithms, deterministic protobuf serialization.
"""

import os

# Single-threaded BLAS/OpenMP so floating-point reductions happen in a fixed
# order (must be set before numpy / torch are imported).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["PYTHONHASHSEED"] = "0"
os.environ["CUDA_VISIBLE_DEVICES"] = ""  # CPU only: the same kernels on every machine

import hashlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from torch import nn  # noqa: E402

SEED = 0
SIDE = 32
EPOCHS = 30
BATCH = 32
LR = 3e-3
N_SAMPLES = 8
N_CALIBRATION = 32  # calibration images for the exact engine, from the training split
OPSET = 17

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
ONNX_PATH = os.path.join(OUT_DIR, "lenet5.onnx")
SAMPLES_PATH = os.path.join(OUT_DIR, "samples.json")
CALIBRATION_PATH = os.path.join(OUT_DIR, "calibration.json")
DIGITS_HELDOUT = os.path.join(OUT_DIR, "..", "digits", "heldout.json")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.use_deterministic_algorithms(True)


def bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """[n_out, n_in] float64 matrix of 1-D bilinear resampling.

    Half-pixel centres with edge clamping: the semantics of PyTorch's
    ``F.interpolate(mode="bilinear", align_corners=False)`` (checked below).
    """
    m = np.zeros((n_out, n_in), dtype=np.float64)
    scale = n_in / n_out
    for i in range(n_out):
        src = max((i + 0.5) * scale - 0.5, 0.0)
        lo = min(int(np.floor(src)), n_in - 1)
        hi = min(lo + 1, n_in - 1)
        frac = src - lo
        m[i, lo] += 1.0 - frac
        m[i, hi] += frac
    return m


def upscale(images8: np.ndarray, side: int) -> np.ndarray:
    """[N,8,8] values in [0,1] -> [N,1,side,side] float32 multiples of 1/256."""
    a = bilinear_matrix(8, side)
    up = np.einsum("ij,njk,lk->nil", a, images8.astype(np.float64), a)
    ref = F.interpolate(torch.from_numpy(images8[:, None].astype(np.float64)), size=(side, side),
                        mode="bilinear", align_corners=False).numpy()[:, 0]
    assert np.abs(up - ref).max() < 1e-12, "numpy bilinear differs from torch interpolate"
    # 8-bit grey levels k/256 (k = 0..256): exact in float32 and short in JSON.
    return (np.round(up * 256.0) / 256.0).astype(np.float32)[:, None]


def load_data():
    """The split of models/digits/train.py, then upscaling of both halves."""
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=SEED, stratify=y)
    if os.path.exists(DIGITS_HELDOUT):
        with open(DIGITS_HELDOUT, encoding="utf-8") as f:
            ref = json.load(f)
        assert ref["labels"] == [int(v) for v in y_test], "split differs from models/digits"
        assert np.array_equal(np.asarray(ref["input"]["input"]["data"], dtype=np.float32), X_test.reshape(-1))
        print("held-out split: identical to models/digits/heldout.json")
    up = lambda x: upscale(x.reshape(-1, 8, 8), SIDE)  # noqa: E731
    return up(X_train), up(X_test), y_train, y_test


class LeNet5(nn.Module):
    """LeNet-5: conv 1->6 5x5, avgpool 2, conv 6->16 5x5, avgpool 2, fc 400->120->84->10 (ReLU)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5)  # 32 -> 28
        self.pool1 = nn.AvgPool2d(2)  # 28 -> 14
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)  # 14 -> 10
        self.pool2 = nn.AvgPool2d(2)  # 10 -> 5
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(torch.relu(self.conv1(x)))
        x = self.pool2(torch.relu(self.conv2(x)))
        return torch.flatten(x, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.fc1(self.features(x)))
        return self.fc3(torch.relu(self.fc2(x)))


def train(model: nn.Module, X: np.ndarray, y: np.ndarray) -> None:
    xs, ys = torch.from_numpy(X), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)
    gen = torch.Generator().manual_seed(SEED)
    model.train()
    for epoch in range(EPOCHS):
        order = torch.randperm(len(xs), generator=gen)
        total = 0.0
        for start in range(0, len(xs), BATCH):
            idx = order[start:start + BATCH]
            opt.zero_grad()
            loss = F.cross_entropy(model(xs[idx]), ys[idx])
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        sched.step()
        if epoch % 10 == 9:
            print(f"epoch {epoch + 1}: mean loss {total / len(xs):.4f}")
    model.eval()


@torch.no_grad()
def torch_logits(model: nn.Module, X: np.ndarray) -> np.ndarray:
    return model(torch.from_numpy(X)).numpy()


def export(model: nn.Module) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # The legacy TorchScript exporter is chosen on purpose (stable op set).
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*legacy TorchScript")
        torch.onnx.export(
            model, (torch.zeros(1, 1, SIDE, SIDE),), buf, dynamo=False, opset_version=OPSET,
            input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True,
        )
    proto = onnx.load_from_string(buf.getvalue())
    proto.doc_string = (
        "Veris reference model: LeNet-5 (ReLU, average pooling) for handwritten digits (sklearn load_digits "
        "8x8 upscaled bilinearly to 32x32, grey levels k/256). Input 'input' float32 "
        "[N,1,32,32] in [0,1]; output 'logits' float32 [N,10] (argmax = digit). Seed 0."
    )
    onnx.checker.check_model(proto, full_check=True)
    return proto.SerializeToString(deterministic=True)


def verify(model_bytes: bytes, ref_logits: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model_bytes, sess_options=opts, providers=["CPUExecutionProvider"])
    (logits,) = sess.run(["logits"], {"input": X})
    assert logits.dtype == np.float32 and logits.shape == (len(X), 10), logits.shape
    max_diff = float(np.abs(logits - ref_logits).max())
    agree = int((logits.argmax(1) == ref_logits.argmax(1)).sum())
    assert max_diff < 1e-4 and agree == len(X), (max_diff, agree)
    acc = float((logits.argmax(1) == y).mean())
    print(f"onnxruntime vs torch: max |diff| {max_diff:.3e}, argmax agrees on {agree}/{len(X)}, "
          f"onnxruntime held-out accuracy {acc:.4f}")
    return acc


def tensor_json(X: np.ndarray) -> dict:
    X = np.asarray(X, dtype=np.float32)
    data = [float(v) for v in X.reshape(-1)]  # exact: values are k/256
    assert np.array_equal(np.asarray(data, dtype=np.float32), X.reshape(-1))
    return {"input": {"dtype": "float32", "shape": list(X.shape), "data": data}}


def write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def sha256_file(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main() -> None:
    seed_everything(SEED)
    X_train, X_test, y_train, y_test = load_data()
    model = LeNet5()
    flat = model.features(torch.zeros(1, 1, SIDE, SIDE)).shape
    assert tuple(flat) == (1, 16 * 5 * 5), f"flatten size {tuple(flat)}, expected (1, 400)"
    train(model, X_train, y_train)
    train_acc = float((torch_logits(model, X_train).argmax(1) == y_train).mean())
    ref = torch_logits(model, X_test)
    test_acc = float((ref.argmax(1) == y_test).mean())
    assert test_acc >= 0.95, test_acc

    model_bytes = export(model)
    verify(model_bytes, ref, X_test, y_test)
    with open(ONNX_PATH, "wb") as f:
        f.write(model_bytes)

    compact = dict(separators=(",", ":"))
    samples = [{"label": int(y_test[i]), "input": tensor_json(X_test[i:i + 1])} for i in range(N_SAMPLES)]
    write_text(SAMPLES_PATH, "[\n" + ",\n".join(json.dumps(s, **compact) for s in samples) + "\n]\n")
    # Calibration data comes from the training split only, never from held-out.
    calibration = [tensor_json(X_train[i:i + 1]) for i in range(N_CALIBRATION)]
    write_text(CALIBRATION_PATH, "[\n" + ",\n".join(json.dumps(c, **compact) for c in calibration) + "\n]\n")

    n_params = sum(p.numel() for p in model.parameters())
    size = os.path.getsize(ONNX_PATH)
    assert size < 300_000, size
    proto = onnx.load(ONNX_PATH)
    print(f"train samples: {len(X_train)}, held-out samples: {len(X_test)}, epochs: {EPOCHS}")
    print(f"train accuracy:    {train_acc:.4f} ({int(round(train_acc * len(X_train)))}/{len(X_train)})")
    print(f"held-out accuracy: {test_acc:.4f} ({int(round(test_acc * len(X_test)))}/{len(X_test)})")
    print(f"parameters: {n_params}")
    print(f"ops: {[n.op_type for n in proto.graph.node]}")
    print(f"{os.path.basename(ONNX_PATH)}: {size} bytes, sha256 {sha256_file(ONNX_PATH)}")
    for p in (SAMPLES_PATH, CALIBRATION_PATH):
        print(f"{os.path.basename(p)}: {os.path.getsize(p)} bytes, sha256 {sha256_file(p)}")


if __name__ == "__main__":
    main()
