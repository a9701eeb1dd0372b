#!/usr/bin/env bash
# glint against ONNX Runtime (npm onnxruntime-node, CPU) on fresh random
# inputs for the bundled models. Installs the package into tests/ort/
# node_modules (gitignored) on first use; skips (exit 77) without node/npm or
# when the registry is unreachable.
set -u
g=$(realpath "$1") src=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: node/npm not found"; exit 77; }
if [ ! -d "$here/node_modules/onnxruntime-node" ]; then
  (cd "$here" && npm install --ignore-scripts --no-audit --no-fund --no-save onnxruntime-node@1.22 >/dev/null 2>&1) ||
    { echo "SKIP: could not install onnxruntime-node from npm"; exit 77; }
fi
# the bundled models, and ONNX test models of the operators glint's
# networks use (fresh random inputs here, not the test data's)
data=/usr/share/libonnx-testdata/data/node
models=("$src"/tests/models/unet_opset*.onnx "$src"/models/*.onnx)
for pat in 'test_conv_*' 'test_convtranspose*' 'test_resize_upsample_*' 'test_maxpool_2d_*' 'test_averagepool_2d_*' \
           'test_gemm_*' 'test_matmul_*' 'test_instancenorm_*' 'test_layer_normalization_4d_*' \
           'test_batchnorm_epsilon' 'test_globalaveragepool' 'test_sigmoid' 'test_leakyrelu' 'test_softmax_axis_*'; do
  for m in $data/$pat/model.onnx; do [ -f "$m" ] && models+=("$m"); done
done
existing=()
for m in "${models[@]}"; do [ -f "$m" ] && existing+=("$m"); done
cd "$here" && exec node ort_check.js "$g" "${existing[@]}"
