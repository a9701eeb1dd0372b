#!/bin/sh
# INT8 calibration of the bundled generator: models/glyph_generator.calib,
# which engines created from models/glyph_generator.onnx at int8 read
# (MODEL.calib beside MODEL.onnx). Glyphs of eight training faces, one per
# style cluster (never a held-out one), at 64 px; the file is deterministic.
#   training/calibrate.sh [GLINT]     (GLINT: the glint binary, default build/glint)
set -eu
cd "$(dirname "$0")/.."
GLINT=${1:-build/glint}
F=/usr/share/fonts
FONTS="$F/fonts-go/Go-Mono.ttf,$F/opentype/dosis/Dosis-Book.otf"
FONTS="$FONTS,$F/opentype/ebgaramond/EBGaramond08-Regular.otf,$F/opentype/inter/Inter-Regular.otf"
FONTS="$FONTS,$F/opentype/linux-libertine/LinBiolinum_K.otf,$F/opentype/lobster/lobster.otf"
FONTS="$FONTS,$F/opentype/urw-base35/NimbusRoman-Regular.otf,$F/opentype/urw-base35/URWGothic-Book.otf"
"$GLINT" calibrate models/glyph_generator.onnx --fonts "$FONTS" --size 64 \
    --model-dir models -o models/glyph_generator.calib
