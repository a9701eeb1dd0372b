#!/usr/bin/env bash
# The glyph demo: a line set in Cabin, a font that lacks every Latin
# Extended-A letter. Characters it has come from it; the missing ones are
# drawn from DejaVu Sans and restyled by the bundled model (tinted with
# --show-synth). Writes build/demo/demo.png. Usage: scripts/demo_render.sh GLINT
set -euo pipefail
g=${1:-build/glint}
cd "$(dirname "$0")/.."
scripts/deps.sh demo
font=$(fc-match -f '%{file}' 'Cabin:style=Regular' 2>/dev/null || true)
case "$font" in *[Cc]abin*) ;; *) font=/usr/share/fonts/opentype/cabin/Cabin-Regular.otf ;; esac
mkdir -p build/demo
echo; echo "== glint render: missing letters restyled to match $(basename "$font")"
"$g" render --font "$font" --text "Wrocław, Łódź, Čakovec, Gdańsk" --size 64 \
  -o build/demo/demo.png --show-synth
echo "open build/demo/demo.png (restyled glyphs are tinted)"
