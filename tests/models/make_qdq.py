#!/usr/bin/env python3
"""The bundled glyph generator quantised by a standard tool, for glint's QDQ
tests: ONNX Runtime's post-training quantiser (onnxruntime.quantization.
quantize_static, QDQ format, per-output-channel int8 weights, uint8
activations, MinMax calibration), calibrated on glyph pairs of the
validation cells. Also writes a few inputs that were not in the calibration
set and what ONNX Runtime (CPU) answers for them with the quantised model
and with the float one, so that glint can be checked against the exporter's
own runtime where no ONNX Runtime is installed.

    python3 tests/models/make_qdq.py --pairs PAIRS.npz --out DIR

PAIRS.npz: `training/precision_eval.py --save-pairs` (uint8 content, refs
and target per cell). Needs numpy, onnx and onnxruntime (the device machine
has them; Debian has no onnxruntime). Writes into DIR:
  glyph_generator_qdq.onnx   the quantised generator
  qdq_content.npy, qdq_style.npy   4 inputs at 64 px, float32
  qdq_ort.npy                ONNX Runtime's output of the quantised model
  qdq_fp32.npy               ONNX Runtime's output of the float model
"""
import argparse
import os

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_static)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALIB = 48   # calibration pairs, 16 from each cell
TEST = 4     # test inputs, taken after them


def session(path):
    return ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def pairs(path):
    """(content, refs) float32 in [0, 1], the cells' pairs interleaved."""
    z = np.load(path)
    cells = sorted({k.rsplit("/", 1)[0] for k in z.files})
    content = np.stack([z[c + "/content"] for c in cells], 1).reshape(-1, 1, 64, 64)
    refs = np.stack([z[c + "/refs"] for c in cells], 1).reshape(-1, 8, 64, 64)
    return content.astype(np.float32) / 255.0, refs.astype(np.float32) / 255.0


class Reader(CalibrationDataReader):
    def __init__(self, content, style):
        self.feeds = iter([{"content": content[i:i + 1], "style": style[i:i + 1]}
                           for i in range(len(content))])

    def get_next(self):
        return next(self.feeds, None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    generator = os.path.join(ROOT, "models", "glyph_generator.onnx")
    content, refs = pairs(args.pairs)
    content, refs = content[:CALIB + TEST], refs[:CALIB + TEST]
    style = session(os.path.join(ROOT, "models", "style_encoder.onnx")).run(
        ["style"], {"refs": refs})[0]

    qdq = os.path.join(args.out, "glyph_generator_qdq.onnx")
    quantize_static(generator, qdq, Reader(content[:CALIB], style[:CALIB]),
                    quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)

    feeds = {"content": content[CALIB:], "style": style[CALIB:]}
    np.save(os.path.join(args.out, "qdq_content.npy"), feeds["content"])
    np.save(os.path.join(args.out, "qdq_style.npy"), feeds["style"])
    np.save(os.path.join(args.out, "qdq_ort.npy"), session(qdq).run(["glyph"], feeds)[0])
    np.save(os.path.join(args.out, "qdq_fp32.npy"), session(generator).run(["glyph"], feeds)[0])
    print("wrote", args.out, "ORT", ort.__version__)


if __name__ == "__main__":
    main()
