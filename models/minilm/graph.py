"""Builds the MiniLM-L6 sentence encoder as an ONNX graph from numpy weights.

The graph is a plain BERT encoder written with ``onnx.helper``, every op in its
standard opset-17 form:

  input_ids int64 [1, seq]
    -> Gather(word table) + Slice(position table (+ token type 0), first seq rows)
    -> LayerNormalization
    -> 6 x [ self-attention (MatMul, Add, Reshape, Transpose, MatMul, Div, Softmax,
             MatMul, Transpose, Reshape, MatMul, Add) + residual Add, LayerNormalization,
             feed-forward (MatMul, Add, GELU = x * 0.5 * (1 + Erf(x / sqrt 2)), MatMul, Add)
             + residual Add, LayerNormalization ]
    -> ReduceMean over the sequence axis (keepdims 0) -> embedding float32 [1, hidden]

The position rows are cut with ``Shape(input_ids, start=1, end=2)`` feeding the
``ends`` of a ``Slice``: the listed arithmetic ops cannot produce 0..seq-1, and
this keeps ``input_ids`` the only input. token_type_ids are all 0, so the
token-type row 0 is added into the position table once, here.
"""

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name=name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str, output: str | None = None, **attrs) -> str:
        out = output or f"{name}.out"
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=name, **attrs))
        return out

    def linear(self, x: str, w: dict, prefix: str, name: str) -> str:
        """PyTorch Linear (weight [out, in]) as MatMul by the stored transpose [in, out], then Add."""
        wt = self.const(f"{name}.weight_t", w[prefix + ".weight"].T.astype(np.float32))
        b = self.const(f"{name}.bias", w[prefix + ".bias"].astype(np.float32))
        return self.op("Add", [self.op("MatMul", [x, wt], f"{name}.matmul"), b], f"{name}.add")

    def layer_norm(self, x: str, w: dict, prefix: str, name: str, eps: float) -> str:
        g = self.const(f"{name}.gamma", w[prefix + ".weight"])
        b = self.const(f"{name}.beta", w[prefix + ".bias"])
        return self.op("LayerNormalization", [x, g, b], name, axis=-1, epsilon=eps)


def _scalar(v: float) -> np.ndarray:
    return np.array(v, dtype=np.float32)


def build_model(w: dict, config: dict, doc: str) -> onnx.ModelProto:
    """`w`: the float32 safetensors state dict; `config`: the model's config.json."""
    hidden = int(config["hidden_size"])
    n_heads = int(config["num_attention_heads"])
    head = hidden // n_heads
    eps = float(config["layer_norm_eps"])
    b = _Builder()

    # Shared constants: Reshape targets and the scalars of Div/Mul/Add.
    split_heads = b.const("shape.split_heads", np.array([1, -1, n_heads, head], dtype=np.int64))
    merge_heads = b.const("shape.merge_heads", np.array([1, -1, hidden], dtype=np.int64))
    sqrt_head = b.const("const.sqrt_head_dim", _scalar(math.sqrt(head)))
    sqrt2 = b.const("const.sqrt2", _scalar(math.sqrt(2.0)))
    one = b.const("const.one", _scalar(1.0))
    half = b.const("const.half", _scalar(0.5))

    words = b.const("embeddings.word", w["embeddings.word_embeddings.weight"])
    pos_tt = (w["embeddings.position_embeddings.weight"].astype(np.float64)
              + w["embeddings.token_type_embeddings.weight"][0].astype(np.float64))
    positions = b.const("embeddings.position_plus_token_type0", pos_tt.astype(np.float32))
    zero = b.const("const.slice_start", np.array([0], dtype=np.int64))
    axis0 = b.const("const.slice_axis", np.array([0], dtype=np.int64))
    seq_len = b.op("Shape", ["input_ids"], "embeddings.seq_len", start=1, end=2)
    pos = b.op("Slice", [positions, zero, seq_len, axis0], "embeddings.positions")
    x = b.op("Add", [b.op("Gather", [words, "input_ids"], "embeddings.gather", axis=0), pos], "embeddings.add")
    x = b.layer_norm(x, w, "embeddings.LayerNorm", "embeddings.ln", eps)

    for i in range(int(config["num_hidden_layers"])):
        p, n = f"encoder.layer.{i}.", f"l{i}"
        qkv = {}
        for part, perm in (("query", [0, 2, 1, 3]), ("key", [0, 2, 3, 1]), ("value", [0, 2, 1, 3])):
            t = b.linear(x, w, p + "attention.self." + part, f"{n}.{part[0]}")
            t = b.op("Reshape", [t, split_heads], f"{n}.{part[0]}.split")
            qkv[part] = b.op("Transpose", [t], f"{n}.{part[0]}.transpose", perm=perm)
        scores = b.op("MatMul", [qkv["query"], qkv["key"]], f"{n}.scores")
        scores = b.op("Div", [scores, sqrt_head], f"{n}.scale")
        probs = b.op("Softmax", [scores], f"{n}.softmax", axis=-1)
        ctx = b.op("MatMul", [probs, qkv["value"]], f"{n}.context")
        ctx = b.op("Transpose", [ctx], f"{n}.context.transpose", perm=[0, 2, 1, 3])
        ctx = b.op("Reshape", [ctx, merge_heads], f"{n}.context.merge")
        attn = b.linear(ctx, w, p + "attention.output.dense", f"{n}.attn_out")
        x = b.op("Add", [attn, x], f"{n}.attn_residual")
        x = b.layer_norm(x, w, p + "attention.output.LayerNorm", f"{n}.attn_ln", eps)

        h = b.linear(x, w, p + "intermediate.dense", f"{n}.ffn_in")
        # GELU (erf form), in the order PyTorch exports it: x * (1 + erf(x / sqrt 2)) * 0.5.
        erf = b.op("Erf", [b.op("Div", [h, sqrt2], f"{n}.gelu.div")], f"{n}.gelu.erf")
        gelu = b.op("Mul", [h, b.op("Add", [erf, one], f"{n}.gelu.add")], f"{n}.gelu.mul")
        gelu = b.op("Mul", [gelu, half], f"{n}.gelu.half")
        h = b.linear(gelu, w, p + "output.dense", f"{n}.ffn_out")
        x = b.op("Add", [h, x], f"{n}.ffn_residual")
        x = b.layer_norm(x, w, p + "output.LayerNorm", f"{n}.ffn_ln", eps)

    b.op("ReduceMean", [x], "pool.mean", output="embedding", axes=[1], keepdims=0)

    graph = helper.make_graph(
        b.nodes, "minilm_l6_mean_pooled",
        inputs=[helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "seq"])],
        outputs=[helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, hidden])],
        initializer=b.inits,
        doc_string="MiniLM-L6 BERT encoder, mean pooling over the sequence (no L2 normalization).",
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="veris-models-minilm", producer_version="1.0", doc_string=doc)
    model.ir_version = 8
    return model
