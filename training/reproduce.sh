#!/bin/sh
# Reproduces models/ from the repository: dataset (if absent), training,
# export, export check, evaluation and the sample picture.
#
#   training/reproduce.sh [--device cuda] [--minutes 12] [--batch 256]
#
# The dataset is built from the Debian font packages (training/setup.sh) with
# python3-freetype. A GPU machine without them: build training/data/ on a
# Debian machine first (training/build_dataset.py, ~60 MB) and copy it over.
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3
DEVICE=cpu
MINUTES=12
BATCH=""
while [ $# -gt 0 ]; do
    case "$1" in
        --device) DEVICE=$2; shift 2 ;;
        --minutes) MINUTES=$2; shift 2 ;;
        --batch) BATCH=$2; shift 2 ;;
        *) echo "reproduce.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "$BATCH" ]; then
    if [ "$DEVICE" = cpu ]; then BATCH=32; else BATCH=256; fi
fi
RUN=training/runs/reproduce
[ -f training/data/faces.json ] || "$PY" training/build_dataset.py
"$PY" training/train.py --device "$DEVICE" --minutes "$MINUTES" --batch "$BATCH" --out "$RUN"
"$PY" training/export.py "$RUN/best.pt" --out models
"$PY" training/check_export.py --models models
"$PY" training/evaluate.py models/glyph_model.pt --device "$DEVICE" --out models --samples
