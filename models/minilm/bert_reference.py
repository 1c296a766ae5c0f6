"""A float64 numpy forward pass of the MiniLM-L6 BERT encoder with mean pooling.

Written independently of the ONNX graph in export.py (it reads the original
safetensors weights, not the graph's initializers), so agreement between the
two checks the graph construction: layout of Q/K/V heads, transposed weights,
the folded position/token-type embedding, LayerNorm epsilon, GELU (erf form).

Semantics: BertModel(input_ids, token_type_ids = 0, attention_mask = 1), then the
mean of the last hidden state over the sequence (sentence-transformers'
Pooling with pooling_mode_mean_tokens; no L2 normalization).
"""

import math

import numpy as np

_erf = np.frompyfunc(math.erf, 1, 1)


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _linear(x: np.ndarray, w: dict, prefix: str) -> np.ndarray:
    """PyTorch Linear: weight [out, in], y = x W^T + b."""
    return x @ w[prefix + ".weight"].T + w[prefix + ".bias"]


def float64_weights(weights: dict) -> dict:
    """The float32 tensors of a safetensors state dict, widened to float64."""
    return {k: v.astype(np.float64) for k, v in weights.items() if v.dtype == np.float32}


def mean_pooled_embedding(ids: list[int], w: dict, config: dict) -> np.ndarray:
    """[hidden] float64 embedding of one unpadded token sequence; `w` from float64_weights."""
    eps = float(config["layer_norm_eps"])
    n_heads = int(config["num_attention_heads"])
    hidden = int(config["hidden_size"])
    head = hidden // n_heads
    seq = len(ids)

    x = (w["embeddings.word_embeddings.weight"][ids]
         + w["embeddings.position_embeddings.weight"][:seq]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}."

        def heads(t: np.ndarray) -> np.ndarray:  # [seq, hidden] -> [heads, seq, head]
            return t.reshape(seq, n_heads, head).transpose(1, 0, 2)

        q = heads(_linear(x, w, p + "attention.self.query"))
        k = heads(_linear(x, w, p + "attention.self.key"))
        v = heads(_linear(x, w, p + "attention.self.value"))
        probs = _softmax(q @ k.transpose(0, 2, 1) / math.sqrt(head))
        ctx = (probs @ v).transpose(1, 0, 2).reshape(seq, hidden)
        attn = _linear(ctx, w, p + "attention.output.dense")
        x = _layer_norm(attn + x, w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"], eps)
        inter = _gelu(_linear(x, w, p + "intermediate.dense"))
        out = _linear(inter, w, p + "output.dense")
        x = _layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    return x.mean(axis=0)
