#!/usr/bin/python3
"""Writes two tiny glyph models that follow the model contract (DESIGN.md):
glyph_generator.onnx (content [N,1,H,W] + style [N,S] -> glyph [N,1,H,W]) and
style_encoder.onnx (refs [N,K,H,W] -> style [N,S]) with the glint.* metadata,
so that the renderer and the restyle commands are tested end to end before
(and besides) the trained models. Random weights; a few kilobytes; written at
test time, never committed.

usage: make_tiny_models.py OUT_DIR   (prints SKIP and exits 0 without onnx)"""
import os
import sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:
    print("SKIP: /usr/bin/python3 lacks %s; tiny glyph models not written" % e.name)
    sys.exit(0)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
S = 8
REF_CHARS = "AaHnOoge"
K = len(REF_CHARS)
RULE = ("glint-raster-1 ppem=0.75 baseline=0.725 hinting=none render=normal "
        "halign=advance-center")
rng = np.random.default_rng(7)


def meta(model, role):
    for k, v in (("glint.role", role), ("glint.style_dim", str(S)),
                 ("glint.ref_chars", REF_CHARS), ("glint.content_font", "DejaVu Sans"),
                 ("glint.raster", RULE), ("glint.resolutions", "32,64")):
        p = model.metadata_props.add()
        p.key, p.value = k, v


def save(graph, role, name):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="glint-tests")
    model.ir_version = 8
    meta(model, role)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name))


# generator: glyph = Sigmoid(a * content + b + mean(style) broadcast), with a
# 3x3 conv so that neighbouring pixels matter too
w = (rng.standard_normal((1, 1, 3, 3)) * 0.3).astype(np.float32)
w[0, 0, 1, 1] += 6.0
gen = helper.make_graph(
    [helper.make_node("Conv", ["content", "w"], ["c"], pads=[1, 1, 1, 1]),
     helper.make_node("ReduceMean", ["style"], ["m"], axes=[1], keepdims=1),
     helper.make_node("Reshape", ["m", "shape4"], ["m4"]),
     helper.make_node("Add", ["c", "m4"], ["cm"]),
     helper.make_node("Add", ["cm", "bias"], ["z"]),
     helper.make_node("Sigmoid", ["z"], ["glyph"])],
    "tiny_generator",
    [helper.make_tensor_value_info("content", TensorProto.FLOAT, ["N", 1, "H", "W"]),
     helper.make_tensor_value_info("style", TensorProto.FLOAT, ["N", S])],
    [helper.make_tensor_value_info("glyph", TensorProto.FLOAT, ["N", 1, "H", "W"])],
    [numpy_helper.from_array(w, "w"),
     numpy_helper.from_array(np.array([-1, 1, 1, 1], np.int64), "shape4"),
     numpy_helper.from_array(np.array([-3.0], np.float32), "bias")])
save(gen, "generator", "glyph_generator.onnx")

# style encoder: style = Tanh(mean over pixels of each ref @ W)
wm = rng.standard_normal((K, S)).astype(np.float32)
enc = helper.make_graph(
    [helper.make_node("ReduceMean", ["refs"], ["r"], axes=[2, 3], keepdims=0),
     helper.make_node("MatMul", ["r", "wm"], ["s"]),
     helper.make_node("Tanh", ["s"], ["style"])],
    "tiny_style_encoder",
    [helper.make_tensor_value_info("refs", TensorProto.FLOAT, ["N", K, "H", "W"])],
    [helper.make_tensor_value_info("style", TensorProto.FLOAT, ["N", S])],
    [numpy_helper.from_array(wm, "wm")])
save(enc, "style_encoder", "style_encoder.onnx")
print("tiny glyph models written to %s" % out)
