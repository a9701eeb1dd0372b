#!/usr/bin/python3
"""A small NumPy evaluator for the ONNX graphs glint's glyph models use.

Debian 12's python3-onnx (1.12) has no reference evaluator (onnx.reference
arrived in 1.13) and ONNX Runtime is not packaged, so export checks here use
this one: it is independent of PyTorch, computes convolutions and matrix
products in float64, and knows only the operators listed in OPS -- any other
raises, so a check can never pass by skipping a node.

    /usr/bin/python3 training/onnx_ref.py --golden   # re-check tests/models/
"""
import math
import os
import sys

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError as e:  # the ctest wrapper reports this as skipped (77)
    print("onnx_ref: %s; install python3-numpy python3-onnx" % e)
    sys.exit(77)


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    group = a.get("group", 1)
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotImplementedError("Conv auto_pad")
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        wg = w[g * mg:(g + 1) * mg].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dh: i * dh + sh * (oh - 1) + 1: sh,
                           j * dw: j * dw + sw * (ow - 1) + 1: sw]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, wg[:, :, i, j])
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def _resize(x, roi, scales, sizes, a):
    mode = a.get("mode", b"nearest")
    if mode not in (b"nearest", "nearest"):
        raise NotImplementedError("Resize mode %r" % mode)
    if sizes is not None and sizes.size:
        out = [int(s) for s in sizes]
        sc = [o / i for o, i in zip(out, x.shape)]
    else:
        sc = [float(s) for s in scales]
        out = [int(math.floor(i * s)) for i, s in zip(x.shape, sc)]
    ctm = a.get("coordinate_transformation_mode", b"half_pixel")
    ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
    nm = a.get("nearest_mode", b"round_prefer_floor")
    nm = nm.decode() if isinstance(nm, bytes) else nm
    y = x
    for axis, (o, s) in enumerate(zip(out, sc)):
        if o == x.shape[axis] and s == 1.0:
            continue
        i = np.arange(o, dtype=np.float64)
        if ctm == "asymmetric":
            src = i / s
        elif ctm == "half_pixel":
            src = (i + 0.5) / s - 0.5
        elif ctm == "pytorch_half_pixel":
            src = (i + 0.5) / s - 0.5 if o > 1 else np.zeros_like(i)
        elif ctm == "align_corners":
            src = i * (x.shape[axis] - 1) / max(o - 1, 1)
        else:
            raise NotImplementedError("Resize coordinate_transformation_mode " + ctm)
        if nm == "floor":
            idx = np.floor(src)
        elif nm == "ceil":
            idx = np.ceil(src)
        elif nm == "round_prefer_floor":
            idx = np.where(src - np.floor(src) == 0.5, np.floor(src), np.round(src))
        else:
            idx = np.where(src - np.floor(src) == 0.5, np.ceil(src), np.round(src))
        idx = np.clip(idx, 0, x.shape[axis] - 1).astype(np.int64)
        y = np.take(y, idx, axis=axis)
    return y


def _slice(x, starts, ends, axes, steps):
    axes = list(range(len(starts))) if axes is None else list(axes)
    steps = [1] * len(starts) if steps is None else list(steps)
    sl = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        sl[int(ax)] = slice(int(max(min(s, 2**62), -2**62)), int(max(min(e, 2**62), -2**62)), int(st))
    return x[tuple(sl)]


def _unsqueeze(x, axes):
    axes = sorted(int(a) % (x.ndim + len(axes)) for a in axes)
    for a in axes:
        x = np.expand_dims(x, a)
    return x


def _gemm(a_, b_, c_, at):
    a = a_.astype(np.float64)
    b = b_.astype(np.float64)
    if at.get("transA", 0):
        a = a.T
    if at.get("transB", 0):
        b = b.T
    y = at.get("alpha", 1.0) * (a @ b)
    if c_ is not None:
        y = y + at.get("beta", 1.0) * c_
    return y.astype(np.float32)


def _bn(x, s, b, mean, var, a):
    eps = a.get("epsilon", 1e-5)
    sh = (1, -1) + (1,) * (x.ndim - 2)
    y = (x.astype(np.float64) - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + eps)
    return (y * s.reshape(sh) + b.reshape(sh)).astype(np.float32)


def _split(x, split, a, nout):
    axis = a.get("axis", 0)
    if split is None:
        split = a.get("split", [x.shape[axis] // nout] * nout)
    idx = np.cumsum(split)[:-1]
    return np.split(x, idx, axis=axis)


def _reshape(x, shape):
    shape = [int(s) for s in shape]
    shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def _reduce_mean(x, axes, a):
    keep = bool(a.get("keepdims", 1))
    axes = tuple(int(v) for v in axes) if axes is not None else None
    return x.astype(np.float64).mean(axis=axes, keepdims=keep).astype(x.dtype)


def _opt(ins, i):
    return ins[i] if len(ins) > i else None


OPS = {
    "Identity": lambda i, a, n: [i[0]],
    "Constant": lambda i, a, n: [numpy_helper.to_array(a["value"]) if "value" in a
                                 else np.array(a.get("value_float", a.get("value_int")))],
    "Shape": lambda i, a, n: [np.array(i[0].shape, dtype=np.int64)],
    "Gather": lambda i, a, n: [np.take(i[0], i[1], axis=a.get("axis", 0))],
    "Slice": lambda i, a, n: [_slice(i[0], a["starts"], a["ends"], a.get("axes"), None)
                              if "starts" in a else
                              _slice(i[0], i[1], i[2], _opt(i, 3), _opt(i, 4))],
    "Unsqueeze": lambda i, a, n: [_unsqueeze(i[0], a["axes"] if "axes" in a else i[1])],
    "Squeeze": lambda i, a, n: [np.squeeze(i[0], axis=tuple(int(v) for v in (a["axes"] if "axes" in a else i[1])))],
    "Concat": lambda i, a, n: [np.concatenate(i, axis=a["axis"])],
    "Reshape": lambda i, a, n: [_reshape(i[0], i[1])],
    "Flatten": lambda i, a, n: [i[0].reshape(int(np.prod(i[0].shape[:a.get("axis", 1)])), -1)],
    "Cast": lambda i, a, n: [i[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])],
    "Add": lambda i, a, n: [(i[0] + i[1]).astype(i[0].dtype)],
    "Sub": lambda i, a, n: [(i[0] - i[1]).astype(i[0].dtype)],
    "Mul": lambda i, a, n: [(i[0] * i[1]).astype(i[0].dtype)],
    "Div": lambda i, a, n: [(i[0] // i[1]) if i[0].dtype.kind in "iu" else (i[0] / i[1]).astype(i[0].dtype)],
    "Floor": lambda i, a, n: [np.floor(i[0])],
    "Equal": lambda i, a, n: [i[0] == i[1]],
    "Where": lambda i, a, n: [np.where(i[0], i[1], i[2])],
    "ConstantOfShape": lambda i, a, n: [np.full([int(v) for v in i[0]],
                                                numpy_helper.to_array(a["value"])[0] if "value" in a else np.float32(0))],
    "Expand": lambda i, a, n: [i[0] * np.ones([int(v) for v in i[1]], dtype=i[0].dtype)],
    "Transpose": lambda i, a, n: [np.transpose(i[0], a.get("perm"))],
    "Relu": lambda i, a, n: [np.maximum(i[0], 0).astype(i[0].dtype)],
    "LeakyRelu": lambda i, a, n: [np.where(i[0] >= 0, i[0], i[0] * np.float32(a.get("alpha", 0.01))).astype(np.float32)],
    "Sigmoid": lambda i, a, n: [(1.0 / (1.0 + np.exp(-i[0].astype(np.float64)))).astype(np.float32)],
    "Conv": lambda i, a, n: [_conv(i[0], i[1], _opt(i, 2), a)],
    "BatchNormalization": lambda i, a, n: [_bn(*i[:5], a)],
    "Gemm": lambda i, a, n: [_gemm(i[0], i[1], _opt(i, 2), a)],
    "MatMul": lambda i, a, n: [(i[0].astype(np.float64) @ i[1]).astype(np.float32)],
    "Resize": lambda i, a, n: [_resize(i[0], _opt(i, 1), _opt(i, 2), _opt(i, 3), a)],
    "Upsample": lambda i, a, n: [_resize(i[0], None, i[1], None, a)],
    "GlobalAveragePool": lambda i, a, n: [_reduce_mean(i[0], (2, 3), {"keepdims": 1})],
    "ReduceMean": lambda i, a, n: [_reduce_mean(i[0], a.get("axes", _opt(i, 1)), a)],
    "Split": lambda i, a, n: _split(i[0], _opt(i, 1), a, n),
}


def run(model, feeds):
    """Evaluates `model` (an onnx.ModelProto) on `feeds` (name -> array)."""
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    for k, node in enumerate(model.graph.node):
        if node.op_type not in OPS:
            raise NotImplementedError("node %d '%s': operator %s is not known to onnx_ref"
                                      % (k, node.name, node.op_type))
        ins = [env[name] if name else None for name in node.input]
        while ins and ins[-1] is None:
            ins.pop()
        outs = OPS[node.op_type](ins, _attrs(node), len(node.output))
        for name, val in zip(node.output, outs):
            env[name] = np.asarray(val)
    return {o.name: env[o.name] for o in model.graph.output}


def check_golden():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "models")
    worst = 0.0
    for opset in (11, 13, 17):
        model = onnx.load(os.path.join(here, "unet_opset%d.onnx" % opset))
        for k in range(3):
            ld = lambda s: np.load(os.path.join(here, "case%d_%s.npy" % (k, s)))
            got = run(model, {"content": ld("content"), "style": ld("style")})["glyph"]
            want = ld("glyph")
            err = float(np.abs(got - want).max()) if got.shape == want.shape else float("inf")
            print("opset %d case %d %s: max abs error %.3g" % (opset, k, want.shape, err))
            worst = max(worst, err)
    print("worst %.3g (limit 1e-4)" % worst)
    return worst <= 1e-4


if __name__ == "__main__":
    if sys.argv[1:] == ["--golden"]:
        sys.exit(0 if check_golden() else 1)
    print(__doc__)
