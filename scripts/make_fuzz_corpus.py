#!/usr/bin/env python3
"""Writes a seed corpus for fuzz/fuzz_load.c into DIR: small valid ONNX
models covering the loader's paths (raw and typed tensor data, attributes of
every kind, metadata, dynamic dims, constant subgraphs, Conv + BN, Identity /
Dropout, a QDQ conv) plus a few truncations and byte flips of each.
Generated at fuzz time, never committed. Usage: make_fuzz_corpus.py DIR"""
import os
import random
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, inits=(), opset=17, meta=None):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="glint-fuzz-seed")
    m.ir_version = 8
    if meta:
        helper.set_model_props(m, meta)
    return m.SerializeToString()


def f32(name, shape, rng, raw=True):
    a = rng.standard_normal(shape).astype(np.float32)
    if raw:
        return numpy_helper.from_array(a, name)
    return helper.make_tensor(name, TensorProto.FLOAT, shape, a.flatten().tolist())


def seeds(rng):
    vi = helper.make_tensor_value_info
    x4 = vi("x", TensorProto.FLOAT, ["N", 2, 8, 8])
    out = {}
    # Conv + BatchNormalization + Relu, with typed (non-raw) bias data.
    out["conv_bn"] = model(
        [helper.make_node("Conv", ["x", "W", "B"], ["c"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
         helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["n"], epsilon=1e-3),
         helper.make_node("Relu", ["n"], ["y"])],
        [x4], [vi("y", TensorProto.FLOAT, ["N", 4, 8, 8])],
        [f32("W", [4, 2, 3, 3], rng), f32("B", [4], rng, raw=False), f32("s", [4], rng),
         f32("b", [4], rng), f32("m", [4], rng),
         numpy_helper.from_array(np.abs(rng.standard_normal(4)).astype(np.float32) + 0.1, "v")],
        meta={"glint.role": "generator", "glint.style_dim": "8"})
    # Constant subgraph folded at load: Constant → Add → Mul with an input.
    out["const_fold"] = model(
        [helper.make_node("Constant", [], ["k"], value=f32("kv", [3], rng)),
         helper.make_node("Add", ["k", "c2"], ["s"]),
         helper.make_node("Mul", ["x", "s"], ["y"])],
        [vi("x", TensorProto.FLOAT, [2, 3])], [vi("y", TensorProto.FLOAT, [2, 3])],
        [f32("c2", [3], rng, raw=False)])
    # Shape arithmetic as PyTorch exports it.
    out["shape_math"] = model(
        [helper.make_node("Shape", ["x"], ["sh"]),
         helper.make_node("Gather", ["sh", "i0"], ["n"], axis=0),
         helper.make_node("Unsqueeze", ["n", "ax"], ["nu"]),
         helper.make_node("Concat", ["nu", "rest"], ["ns"], axis=0),
         helper.make_node("Reshape", ["x", "ns"], ["y"])],
        [x4], [vi("y", TensorProto.FLOAT, ["N", 128])],
        [numpy_helper.from_array(np.array(0, np.int64), "i0"),
         numpy_helper.from_array(np.array([0], np.int64), "ax"),
         helper.make_tensor("rest", TensorProto.INT64, [1], [128])])
    # Identity and Dropout chains, a graph output fed by an Identity.
    out["identity"] = model(
        [helper.make_node("Identity", ["x"], ["a"]),
         helper.make_node("Dropout", ["a"], ["b"]),
         helper.make_node("Sigmoid", ["b"], ["c"]),
         helper.make_node("Identity", ["c"], ["y"])],
        [x4], [vi("y", TensorProto.FLOAT, ["N", 2, 8, 8])], opset=13)
    # Attributes of several kinds and typed tensors of several types.
    out["attrs"] = model(
        [helper.make_node("Cast", ["x"], ["h"], to=TensorProto.FLOAT16),
         helper.make_node("Cast", ["h"], ["f"], to=TensorProto.FLOAT),
         helper.make_node("LeakyRelu", ["f"], ["l"], alpha=0.2),
         helper.make_node("Transpose", ["l"], ["t"], perm=[0, 1, 3, 2]),
         helper.make_node("Resize", ["t", "", "sc"], ["y"], mode="nearest")],
        [x4], [vi("y", TensorProto.FLOAT, ["N", 2, 16, 16])],
        [helper.make_tensor("sc", TensorProto.FLOAT, [4], [1, 1, 2, 2]),
         helper.make_tensor("i8", TensorProto.INT8, [3], [-1, 2, 3]),
         helper.make_tensor("u64", TensorProto.UINT64, [2], [1, 2 ** 63]),
         helper.make_tensor("d", TensorProto.DOUBLE, [2], [0.5, -1.5]),
         helper.make_tensor("bo", TensorProto.BOOL, [2], [True, False])], opset=19)
    # A quantised model as standard tools export it: QuantizeLinear /
    # DequantizeLinear around a Conv with int8 weights (an INT8 engine plans it).
    out["qdq_conv"] = model(
        [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
         helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
         helper.make_node("DequantizeLinear", ["Wq", "ws", "wz"], ["Wd"], axis=0),
         helper.make_node("Conv", ["xd", "Wd", "B"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"])],
        [x4], [vi("y", TensorProto.FLOAT, ["N", 4, 8, 8])],
        [helper.make_tensor("xs", TensorProto.FLOAT, [], [0.02]),
         helper.make_tensor("xz", TensorProto.INT8, [], [-3]),
         numpy_helper.from_array(rng.integers(-127, 128, (4, 2, 3, 3)).astype(np.int8), "Wq"),
         numpy_helper.from_array(np.full(4, 0.01, np.float32), "ws"),
         numpy_helper.from_array(np.zeros(4, np.int8), "wz"),
         f32("B", [4], rng)])
    # Broken on purpose: unknown op, subgraph, external data.
    out["unknown_op"] = model([helper.make_node("Einsum", ["x"], ["y"], equation="ij->ji")],
                              [vi("x", TensorProto.FLOAT, [2, 2])],
                              [vi("y", TensorProto.FLOAT, [2, 2])])
    ext = helper.make_tensor("w", TensorProto.FLOAT, [2], [1.0, 2.0])
    ext.data_location = TensorProto.EXTERNAL
    e = ext.external_data.add()
    e.key, e.value = "location", "w.bin"
    del ext.float_data[:]
    out["external"] = model([helper.make_node("Add", ["x", "w"], ["y"])],
                            [vi("x", TensorProto.FLOAT, [2])], [vi("y", TensorProto.FLOAT, [2])],
                            [ext])
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(1)
    rnd = random.Random(1)
    n = 0
    for name, data in seeds(rng).items():
        variants = {name: data}
        for k in range(4):
            cut = rnd.randrange(1, len(data))
            variants[f"{name}_cut{k}"] = data[:cut]
            b = bytearray(data)
            for _ in range(rnd.randrange(1, 4)):
                b[rnd.randrange(len(b))] = rnd.randrange(256)
            variants[f"{name}_flip{k}"] = bytes(b)
        for vname, vdata in variants.items():
            with open(os.path.join(d, vname + ".onnx"), "wb") as f:
                f.write(vdata)
            n += 1
    print(f"make_fuzz_corpus: wrote {n} seeds to {d}")


if __name__ == "__main__":
    main()
