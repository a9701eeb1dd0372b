#!/usr/bin/env bash
# Builds glint and shows it working: model facts, a run checked against
# PyTorch's output, and (with the glyph layer) a line of text whose missing
# characters are restyled by the bundled model, saved as demo.png.
# Uses the GPU when there is one, the CPU otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
command -v nvcc >/dev/null || [ ! -x /usr/local/cuda/bin/nvcc ] || export PATH="/usr/local/cuda/bin:$PATH"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target glint_cli >/dev/null
g=build/glint
model=models/glyph_generator.onnx
[ -f "$model" ] || model=tests/models/unet_opset17.onnx

echo "== glint info $model"
$g info "$model" --bucket 1x64x64 --bucket 32x64x64

echo; echo "== glint run on the golden U-Net, compared with PyTorch's output"
out=build/demo; mkdir -p "$out"
$g run tests/models/unet_opset17.onnx --input content=tests/models/case1_content.npy \
   --input style=tests/models/case1_style.npy --output glyph="$out/glyph.npy" \
   --expect glyph=tests/models/case1_glyph.npy
echo "wrote $out/glyph.npy ($(stat -c %s "$out/glyph.npy") bytes)"

if $g --help | grep -q '^  glint render'; then
  scripts/demo_render.sh "$g"
else
  echo; echo "(the glyph demo needs FreeType and libpng: apt-get install libfreetype-dev libpng-dev, then rerun)"
fi
