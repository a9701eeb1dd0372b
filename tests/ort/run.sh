#!/usr/bin/env bash
# glint against ONNX Runtime (npm onnxruntime-node, CPU) on fresh random
# inputs for the bundled models. Installs the package into tests/ort/
# node_modules (gitignored) on first use; skips (exit 77) without node/npm or
# when the registry is unreachable.
set -u
g=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: node/npm not found"; exit 77; }
if [ ! -d "$here/node_modules/onnxruntime-node" ]; then
  (cd "$here" && npm install --ignore-scripts --no-audit --no-fund --no-save onnxruntime-node@1.22 >/dev/null 2>&1) ||
    { echo "SKIP: could not install onnxruntime-node from npm"; exit 77; }
fi
models=("$src"/tests/models/unet_opset*.onnx "$src"/models/*.onnx)
existing=()
for m in "${models[@]}"; do [ -f "$m" ] && existing+=("$m"); done
cd "$here" && exec node ort_check.js "$g" "${existing[@]}"
