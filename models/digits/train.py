#!/usr/bin/env python3
"""Train and export the Veris reference handwritten-digits classifier.

Trains a small scikit-learn MLP (64 -> 64 -> 32 -> 10, ReLU) on the UCI 8x8
handwritten digits dataset bundled with scikit-learn, exports it to ONNX *by
hand* with ``onnx.helper`` (no skl2onnx / torch), checks the export against
scikit-learn and a float64 reference with onnxruntime, and writes:

  digits-mlp.onnx   the model (input "input" [N,64] f32 -> output "logits" [N,10] f32)
  samples.json      the first 8 held-out samples with their labels
  heldout.json      the whole held-out set as one batch tensor
  calibration.json  64 training rows as one batch tensor (the exact engine's
                    calibration set: never the held-out data it is scored on)

Run from the repository root:  python3 models/digits/train.py
All outputs are written next to this file.  The run is deterministic: every
random seed is fixed and BLAS is pinned to a single thread, so repeated runs
produce byte-identical files.
"""

import os

# Single-threaded BLAS/OpenMP so floating-point reductions are done in a fixed
# order (must be set before numpy is imported).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["PYTHONHASHSEED"] = "0"

import hashlib  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

SEED = 0
HIDDEN = (64, 32)
MAX_ITER = 500  # training stops early (tol / n_iter_no_change) at ~228 epochs
N_SAMPLES = 8
N_CALIBRATION = 64  # calibration rows for the exact engine, from the training split

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
ONNX_PATH = os.path.join(OUT_DIR, "digits-mlp.onnx")
SAMPLES_PATH = os.path.join(OUT_DIR, "samples.json")
HELDOUT_PATH = os.path.join(OUT_DIR, "heldout.json")
CALIBRATION_PATH = os.path.join(OUT_DIR, "calibration.json")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)


def load_data():
    digits = load_digits()
    # 8x8 images flattened row-major; pixel values 0..16 scaled to [0, 1].
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    return train_test_split(X, y, test_size=0.25, random_state=SEED, stratify=y)


def train(X_train, y_train) -> MLPClassifier:
    clf = MLPClassifier(
        hidden_layer_sizes=HIDDEN,
        activation="relu",
        random_state=SEED,
        max_iter=MAX_ITER,
    )
    with warnings.catch_warnings():
        # Fail loudly if the optimizer did not converge within MAX_ITER.
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X_train, y_train)
    return clf


def build_onnx(clf: MLPClassifier) -> onnx.ModelProto:
    """Gemm -> Relu -> Gemm -> Relu -> Gemm, weights stored PyTorch-style.

    Each ``fcK.weight`` has shape [out_features, in_features] and the Gemm uses
    transB=1, i.e. ``Y = X @ W^T + b`` (alpha = beta = 1, transA = 0).
    """
    n_layers = len(clf.coefs_)
    initializers = []
    nodes = []
    prev = "input"
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_), start=1):
        w_name, b_name = f"fc{i}.weight", f"fc{i}.bias"
        # sklearn stores coefs_ as [in, out]; transpose to [out, in].
        w = np.ascontiguousarray(np.asarray(W, dtype=np.float32).T)
        bias = np.asarray(b, dtype=np.float32)
        initializers.append(numpy_helper.from_array(w, name=w_name))
        initializers.append(numpy_helper.from_array(bias, name=b_name))
        last = i == n_layers
        gemm_out = "logits" if last else f"fc{i}.out"
        nodes.append(helper.make_node(
            "Gemm", [prev, w_name, b_name], [gemm_out],
            name=f"fc{i}", transB=1,
        ))
        if not last:
            relu_out = f"relu{i}.out"
            nodes.append(helper.make_node("Relu", [gemm_out], [relu_out], name=f"relu{i}"))
            prev = relu_out

    n_in = clf.coefs_[0].shape[0]
    n_out = clf.coefs_[-1].shape[1]
    graph = helper.make_graph(
        nodes,
        "digits_mlp",
        inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", n_in])],
        outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", n_out])],
        initializer=initializers,
        doc_string="MLP 64-64-32-10 (ReLU) over 8x8 digit images; logits per class 0-9.",
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 13)],
        producer_name="veris-models-digits",
        producer_version="1.0",
        doc_string=(
            "Veris reference model: handwritten-digit classifier (UCI 8x8 digits, "
            "sklearn.datasets.load_digits). Input 'input' float32 [N,64] = 8x8 "
            "grayscale image flattened row-major, pixel values / 16 (range 0..1). "
            "Output 'logits' float32 [N,10] = unnormalized class scores for digits "
            "0-9 (argmax = predicted digit). Architecture Gemm-Relu-Gemm-Relu-Gemm "
            "(64->64->32->10), trained with scikit-learn MLPClassifier, seed 0."
        ),
    )
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def reference_logits(clf: MLPClassifier, X: np.ndarray) -> np.ndarray:
    """Forward pass in float64 from the same float32 weights that were exported."""
    h = X.astype(np.float64)
    n = len(clf.coefs_)
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        W64 = np.asarray(W, dtype=np.float32).astype(np.float64)
        b64 = np.asarray(b, dtype=np.float32).astype(np.float64)
        h = h @ W64 + b64
        if i < n - 1:
            h = np.maximum(h, 0.0)
    return h


def verify(model_bytes: bytes, clf: MLPClassifier, X_test: np.ndarray) -> None:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model_bytes, sess_options=opts,
                                providers=["CPUExecutionProvider"])
    (logits,) = sess.run(["logits"], {"input": X_test})
    assert logits.dtype == np.float32 and logits.shape == (X_test.shape[0], 10), logits.shape

    onnx_pred = logits.argmax(axis=1)
    sk_pred = clf.predict(X_test)
    agree = int((onnx_pred == sk_pred).sum())
    assert agree == len(X_test), f"ONNX/sklearn disagree on {len(X_test) - agree} samples"

    ref = reference_logits(clf, X_test)
    max_err = float(np.abs(logits.astype(np.float64) - ref).max())
    assert max_err < 1e-4, f"max |onnx - float64 reference| = {max_err}"
    print(f"onnxruntime check: argmax agrees with sklearn on {agree}/{len(X_test)} "
          f"held-out samples; max |logit - float64 ref| = {max_err:.3e}")


def tensor_json(X: np.ndarray) -> dict:
    X = np.asarray(X, dtype=np.float32)
    # float(np.float32) is exact in float64 and Python's repr is the shortest
    # string that round-trips; values are k/16 so they print like 0.0625.
    data = [float(v) for v in X.reshape(-1)]
    for v, orig in zip(data, X.reshape(-1)):
        assert np.float32(v) == orig
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

    clf = train(X_train, y_train)
    train_acc = clf.score(X_train, y_train)
    test_acc = clf.score(X_test, y_test)
    n_params = sum(w.size for w in clf.coefs_) + sum(b.size for b in clf.intercepts_)

    model = build_onnx(clf)
    model_bytes = model.SerializeToString(deterministic=True)
    verify(model_bytes, clf, X_test)
    with open(ONNX_PATH, "wb") as f:
        f.write(model_bytes)

    compact = dict(separators=(",", ":"))
    samples = [
        {"label": int(y_test[i]), "input": tensor_json(X_test[i:i + 1])}
        for i in range(N_SAMPLES)
    ]
    write_text(SAMPLES_PATH,
               "[\n" + ",\n".join(json.dumps(s, **compact) for s in samples) + "\n]\n")

    heldout = {"labels": [int(v) for v in y_test], "input": tensor_json(X_test)}
    write_text(HELDOUT_PATH, json.dumps(heldout, **compact) + "\n")

    # The exact engine is calibrated on training data only, never on the
    # held-out set it is evaluated on: the first rows of the training split.
    calibration = tensor_json(X_train[:N_CALIBRATION])
    write_text(CALIBRATION_PATH, json.dumps(calibration, **compact) + "\n")

    size = os.path.getsize(ONNX_PATH)
    assert size < 1_000_000, size
    print(f"train samples: {len(X_train)}, held-out samples: {len(X_test)}, "
          f"epochs: {clf.n_iter_}")
    print(f"train accuracy:    {train_acc:.4f} ({int(round(train_acc * len(X_train)))}/{len(X_train)})")
    print(f"held-out accuracy: {test_acc:.4f} ({int(round(test_acc * len(X_test)))}/{len(X_test)})")
    print(f"parameters: {n_params}")
    print(f"{os.path.basename(ONNX_PATH)}: {size} bytes, sha256 {sha256_file(ONNX_PATH)}")
    for p in (SAMPLES_PATH, HELDOUT_PATH, CALIBRATION_PATH):
        print(f"{os.path.basename(p)}: {os.path.getsize(p)} bytes, sha256 {sha256_file(p)}")


if __name__ == "__main__":
    main()
