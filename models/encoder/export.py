#!/usr/bin/env python3
"""Export one BERT-style transformer encoder block to ONNX (seeded, untrained).

Block (post-LayerNorm, as BERT): d_model 64, 2 heads of 32, FFN 64 -> 128 -> 64
with exact (erf) GELU, on a sequence of 8 token embeddings:

  h = LayerNorm(x + Attention(x));  y = LayerNorm(h + W2 GELU(W1 h + b1) + b2)
  Attention(x) = concat_heads(softmax(Q K^T / sqrt(32)) V) Wo + bo,  Q, K, V = x Wq, x Wk, x Wv (+ biases)

Input "x" float32 [1, 8, 64] (embeddings: the block takes them as its float
input, no token lookup); output "y" float32 [1, 8, 64].

Writes, next to this file:
  encoder.onnx       the block (legacy TorchScript exporter, opset 17, constant folding)
  calibration.json   {"x": {"shape": [16, 8, 64], "data": [...]}}: 16 seeded N(0, 1) sequences
  samples.json       [{"x": {"shape": [1, 8, 64], "data": [...]}}] x 4, held out from calibration

Deterministic: seed 0 for torch, one thread; weights N(0, 0.08) (BERT's
N(0, 0.02) init, 4x wider so that attention is not uniform), biases N(0, 0.02),
LayerNorm gains 1 + N(0, 0.1) and shifts N(0, 0.02).
Run from anywhere:  python3 models/encoder/export.py   (torch 2.15, onnx 1.23)
"""

import hashlib
import json
import math
import os

import onnx
import torch
from torch import nn

OUT = os.path.dirname(os.path.abspath(__file__))
SEQ, D, HEADS, FFN = 8, 64, 2, 128


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(D, D) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.fc1, self.fc2 = nn.Linear(D, FFN), nn.Linear(FFN, D)

    def heads(self, t: torch.Tensor) -> torch.Tensor:
        return t.reshape(1, SEQ, HEADS, D // HEADS).transpose(1, 2)  # [1, H, S, dh]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.heads(self.q(x)), self.heads(self.k(x)), self.heads(self.v(x))
        p = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(D // HEADS), dim=-1)
        a = (p @ v).transpose(1, 2).reshape(1, SEQ, D)
        h = self.ln1(x + self.o(a))
        return self.ln2(h + self.fc2(nn.functional.gelu(self.fc1(h))))


def tensor_json(t: torch.Tensor) -> dict:
    return {"shape": list(t.shape), "data": [round(float(v), 6) for v in t.flatten()]}


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    block = Block().eval()
    with torch.no_grad():
        for name, p in block.named_parameters():
            if name.startswith("ln") and name.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.copy_((0.02 if name.endswith("bias") else 0.08) * torch.randn_like(p))
    x = torch.randn(20, SEQ, D)
    path = os.path.join(OUT, "encoder.onnx")
    torch.onnx.export(
        block, (x[:1],), path, input_names=["x"], output_names=["y"],
        opset_version=17, do_constant_folding=True, dynamo=False,
    )
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    with open(os.path.join(OUT, "calibration.json"), "w") as f:
        json.dump({"x": tensor_json(x[:16])}, f)
    with open(os.path.join(OUT, "samples.json"), "w") as f:
        json.dump([{"x": tensor_json(x[16 + i : 17 + i])} for i in range(4)], f)
    with torch.no_grad():
        y = block(x[16:17])
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    print(f"{path}: {os.path.getsize(path)} bytes, sha256 {digest}")
    print("nodes:", [n.op_type for n in model.graph.node])
    print("y[0, 0, :4] =", [round(float(v), 5) for v in y[0, 0, :4]])


if __name__ == "__main__":
    main()
