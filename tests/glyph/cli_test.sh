#!/bin/sh
# The glyph commands end to end on the CPU: good runs, and every bad input of
# issue 5 (sizes outside 16..256, empty text, invalid UTF-8, missing and
# corrupt fonts, a bad face index, unwritable outputs, characters neither
# font has): a one-line error, a nonzero exit, no crash, no partial file.
# Runs that need the trained models are skipped while models/ is empty.
# usage: cli_test.sh GLINT MODEL_DIR
GLINT=$1
MODELS=$2
FONTS=/usr/share/fonts/truetype/dejavu
SANS=$FONTS/DejaVuSans.ttf
MONO=$FONTS/DejaVuSansMono.ttf
if [ ! -r "$SANS" ] || [ ! -r "$MONO" ]; then
    echo "SKIP: DejaVu fonts are not installed"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/glint-cli-XXXXXX")
trap 'chmod -R u+w "$T"; rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# no temporary file may ever be left in the output directory
no_temp() {
    if ls "$T" | grep -q '\.tmp-'; then bad "temporary file left: $(ls "$T")"; else ok; fi
}

# expect_fail NAME OUTPUT_FILE_OR_- GLINT_ARGS...: nonzero exit (not a
# signal), exactly one line on stderr, no output file
expect_fail() {
    name=$1 out=$2
    shift 2
    "$GLINT" "$@" >"$T/stdout" 2>"$T/stderr"
    rc=$?
    lines=$(wc -l <"$T/stderr")
    if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ]; then
        bad "$name: exit $rc (want 1 or 2)"
    elif [ "$lines" -ne 1 ]; then
        bad "$name: $lines lines on stderr: $(cat "$T/stderr")"
    elif [ "$out" != - ] && [ -e "$out" ]; then
        bad "$name: $out was written"
    else
        ok
        echo "  ok $name: $(cat "$T/stderr")"
    fi
    no_temp
}

expect_ok() {
    name=$1
    shift
    if "$GLINT" "$@" >"$T/stdout" 2>"$T/stderr"; then ok; else bad "$name: exit $? $(cat "$T/stderr")"; fi
}

is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }

have_models=no
if [ -r "$MODELS/glyph_generator.onnx" ] && [ -r "$MODELS/style_encoder.onnx" ]; then
    have_models=yes
fi
export GLINT_MODEL_DIR="$MODELS"

# ------------------------------------------------------------------ raster
expect_ok "raster npy" raster --font "$SANS" --chars "AgÅ" --size 48 --output "$T/r.npy"
# header (128 bytes for this shape) + 3 × 48 × 48 float32
if [ -f "$T/r.npy" ] && [ "$(wc -c <"$T/r.npy")" -eq $((128 + 3 * 48 * 48 * 4)) ]; then ok; else bad "raster npy size"; fi
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import numpy" 2>/dev/null; then
    if /usr/bin/python3 -c "
import numpy as np, sys
a = np.load(sys.argv[1])
assert a.shape == (3, 1, 48, 48) and a.dtype == np.float32, a.shape
assert np.isfinite(a).all() and a.min() >= 0 and a.max() <= 1 and (a.reshape(3, -1).max(1) > 0.9).all()
" "$T/r.npy"; then ok; else bad "raster npy content"; fi
fi
expect_ok "raster png" raster --font "$SANS" --chars "Hi" --size 32 --output "$T/r.png" --metrics "$T/m.json"
if is_png "$T/r.png"; then ok; else bad "raster png signature"; fi
if grep -q '"glyphs": 2' "$T/m.json"; then ok; else bad "raster --metrics"; fi
expect_fail "size too small" "$T/x.png" raster --font "$SANS" --chars A --size 8 --output "$T/x.png"
expect_fail "size too large" "$T/x.png" raster --font "$SANS" --chars A --size 300 --output "$T/x.png"
expect_fail "size not a number" "$T/x.png" raster --font "$SANS" --chars A --size 3x --output "$T/x.png"
expect_fail "empty chars" "$T/x.png" raster --font "$SANS" --chars "" --size 32 --output "$T/x.png"
expect_fail "invalid UTF-8" "$T/x.png" raster --font "$SANS" --chars "$(printf 'a\377b')" --size 32 --output "$T/x.png"
expect_fail "missing font" "$T/x.png" raster --font "$T/none.ttf" --chars A --size 32 --output "$T/x.png"
head -c 3000 /dev/urandom >"$T/corrupt.ttf"
expect_fail "corrupt font" "$T/x.png" raster --font "$T/corrupt.ttf" --chars A --size 32 --output "$T/x.png"
expect_fail "face out of range" "$T/x.png" raster --font "$SANS" --face 3 --chars A --size 32 --output "$T/x.png"
expect_fail "unwritable output" - raster --font "$SANS" --chars A --size 32 --output /nonexistent-dir/x.png
expect_fail "output is a directory" - raster --font "$SANS" --chars A --size 32 --output "$T/"
expect_fail "unknown extension" "$T/x.jpg" raster --font "$SANS" --chars A --size 32 --output "$T/x.jpg"
expect_fail "unknown option" - raster --font "$SANS" --chars A --size 32 --output "$T/x.png" --bogus
# a character the font lacks: one line naming it, an empty box, exit 1
"$GLINT" raster --font "$SANS" --chars "A一" --size 32 --output "$T/miss.png" >/dev/null 2>"$T/stderr"
rc=$?
if [ "$rc" -eq 1 ] && grep -q "U+4E00" "$T/stderr" && is_png "$T/miss.png"; then ok; else bad "raster missing char: exit $rc"; fi
if "$GLINT" raster --font "$SANS" --chars "A一" --size 32 --output "$T/miss2.png" --keep-going >/dev/null 2>&1; then ok; else bad "raster --keep-going"; fi

# ------------------------------------------------------------------ render
expect_ok "render" render --font "$SANS" --text "Hello, wörld" --size 32 -o "$T/line.png" --metrics "$T/rm.json"
if is_png "$T/line.png" && grep -c " us" "$T/stdout" | grep -qx 12; then ok; else bad "render output / per-glyph latency lines"; fi
expect_fail "render empty text" "$T/y.png" render --font "$SANS" --text "" --size 32 -o "$T/y.png"
expect_fail "render invalid UTF-8" "$T/y.png" render --font "$SANS" --text "$(printf '\300\257')" --size 32 -o "$T/y.png"
expect_fail "render size" "$T/y.png" render --font "$SANS" --text "a" --size 257 -o "$T/y.png"
expect_fail "render missing font" "$T/y.png" render --font "$T/none.ttf" --text "a" --size 32 -o "$T/y.png"
expect_fail "render corrupt font" "$T/y.png" render --font "$T/corrupt.ttf" --text "a" --size 32 -o "$T/y.png"
expect_fail "render bad fallback" "$T/y.png" render --font "$SANS" --fallback-font "$T/none.ttf" --text "a" --size 32 -o "$T/y.png"
expect_fail "render unwritable" - render --font "$SANS" --text "a" --size 32 -o /nonexistent-dir/y.png
expect_fail "render npy refused" "$T/y.npy" render --font "$SANS" --text "a" --size 32 -o "$T/y.npy"
"$GLINT" render --font "$SANS" --text "a一b" --size 32 -o "$T/box.png" >/dev/null 2>"$T/stderr"
rc=$?
if [ "$rc" -eq 1 ] && grep -q "U+4E00" "$T/stderr" && is_png "$T/box.png"; then ok; else bad "render char in neither font: exit $rc"; fi
if "$GLINT" render --font "$SANS" --text "a一b" --size 32 -o "$T/box2.png" --keep-going >/dev/null 2>&1; then ok; else bad "render --keep-going"; fi
# DejaVu Sans Mono lacks U+01C4 (Ǆ), which DejaVu Sans has: restyled
if [ $have_models = yes ]; then
    expect_ok "render restyled" render --font "$MONO" --text "Ǆ ok" --size 48 -o "$T/synth.png" --show-synth --device cpu --metrics "$T/sm.json"
    if grep -q restyled "$T/stdout" && is_png "$T/synth.png" && grep -q '"glyph_cache_misses"' "$T/sm.json"; then ok; else bad "render restyled output"; fi
else
    expect_fail "render restyled without models" "$T/synth.png" render --font "$MONO" --text "Ǆ ok" --size 48 -o "$T/synth.png" --model-dir "$T"
    echo "  (restyle runs skipped: models/ is empty)"
fi

# ----------------------------------------------------------- restyle, atlas
expect_fail "restyle size" "$T/z.npy" restyle --style-font "$SANS" --chars A --size 15 --output "$T/z.npy"
expect_fail "restyle empty" "$T/z.npy" restyle --style-font "$SANS" --chars "" --size 32 --output "$T/z.npy"
expect_fail "restyle UTF-8" "$T/z.npy" restyle --style-font "$SANS" --chars "$(printf '\355\240\200')" --size 32 --output "$T/z.npy"
expect_fail "restyle missing font" "$T/z.npy" restyle --style-font "$T/none.ttf" --chars A --size 32 --output "$T/z.npy"
expect_fail "restyle corrupt content font" "$T/z.npy" restyle --style-font "$SANS" --content-font "$T/corrupt.ttf" --chars A --size 32 --output "$T/z.npy"
expect_fail "restyle face" "$T/z.npy" restyle --style-font "$SANS" --face 2 --chars A --size 32 --output "$T/z.npy"
expect_fail "restyle unwritable" - restyle --style-font "$SANS" --chars A --size 32 --output /nonexistent-dir/z.npy
expect_fail "restyle bad device" "$T/z.npy" restyle --style-font "$SANS" --chars A --size 32 --output "$T/z.npy" --device tpu
expect_fail "atlas bad range" "$T/a.png" atlas --style-font "$SANS" --range U+0200-U+0100 --size 32 -o "$T/a.png"
expect_fail "atlas range syntax" "$T/a.png" atlas --style-font "$SANS" --range hello --size 32 -o "$T/a.png"
expect_fail "atlas size" "$T/a.png" atlas --style-font "$SANS" --range U+0100-U+0101 --size 0 -o "$T/a.png"
if [ $have_models = yes ]; then
    expect_ok "restyle npy" restyle --style-font "$FONTS/DejaVuSerif-Bold.ttf" --chars "AĀŁ" --size 32 --output "$T/z.npy" --device cpu
    if [ "$(wc -c <"$T/z.npy")" -eq $((128 + 3 * 32 * 32 * 4)) ]; then ok; else bad "restyle npy size"; fi
    expect_ok "restyle png" restyle --style-font "$FONTS/DejaVuSerif-Bold.ttf" --chars "AĀŁ" --size 40 --output "$T/z.png" --device cpu
    expect_ok "atlas" atlas --style-font "$FONTS/DejaVuSerif-Bold.ttf" --range U+0100-U+0127 --size 32 -o "$T/atlas.png" --device cpu --metrics "$T/am.json"
    if is_png "$T/atlas.png" && grep -q '"unicode": "U+0127"' "$T/atlas.json"; then ok; else bad "atlas outputs"; fi
    if /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['glyphs'])==40" "$T/atlas.json" 2>/dev/null; then ok; else bad "atlas.json"; fi
else
    expect_fail "restyle without models" "$T/z.npy" restyle --style-font "$SANS" --chars A --size 32 --output "$T/z.npy" --model-dir "$T"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
