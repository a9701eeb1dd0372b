#!/usr/bin/env bash
# `glint info` and `glint run` end to end, good and bad input: every failure
# is one line on stderr and a nonzero exit, and no output file is left
# half-written.
set -u
g=$1 src=$2
m=$src/tests/models/unet_opset17.onnx
d=$src/tests/models
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAILED: $*"; }

# expect_fail NAME PATTERN CMD...: nonzero exit, one stderr line matching PATTERN
expect_fail() {
  local name=$1 pat=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  local lines; lines=$(wc -l <"$tmp/err")
  if [ $rc -eq 0 ]; then bad "$name: exit 0"; return; fi
  if [ "$lines" -ne 1 ]; then bad "$name: $lines lines on stderr: $(cat "$tmp/err")"; return; fi
  grep -q -- "$pat" "$tmp/err" || { bad "$name: stderr lacks '$pat': $(cat "$tmp/err")"; return; }
  ok
}

"$g" info "$m" >"$tmp/info" 2>&1 && grep -q "^  input  content" "$tmp/info" && grep -q "^plans" "$tmp/info" && ok || bad "info: $(cat "$tmp/info")"
grep -q "Conv" "$tmp/info" && grep -q "parameters 5633" "$tmp/info" && ok || bad "info content"
"$g" run "$m" --device cpu --input content=$d/case2_content.npy --input style=$d/case2_style.npy \
  --output glyph="$tmp/g.npy" --expect glyph=$d/case2_glyph.npy >"$tmp/run" 2>&1 && ok || bad "run: $(cat "$tmp/run")"
[ -s "$tmp/g.npy" ] && ok || bad "run wrote nothing"
cmp -s <(head -c 6 "$tmp/g.npy") <(printf '\x93NUMPY') && ok || bad "output is not .npy"

expect_fail "no model" "usage" "$g" run
expect_fail "missing model" "nope.onnx" "$g" run "$tmp/nope.onnx" --input content=$d/case2_content.npy --output glyph="$tmp/x.npy"
expect_fail "missing input file" "missing.npy" "$g" run "$m" --input content="$tmp/missing.npy" --output glyph="$tmp/x.npy"
expect_fail "unknown option" "--frobnicate" "$g" run "$m" --frobnicate
expect_fail "bad device" "--device" "$g" run "$m" --device tpu --output glyph="$tmp/x.npy"
expect_fail "bad precision" "--precision" "$g" run "$m" --precision fp7 --output glyph="$tmp/x.npy"
expect_fail "bad threads" "--threads" "$g" run "$m" --threads -2 --output glyph="$tmp/x.npy"
expect_fail "bad io syntax" "NAME=FILE" "$g" run "$m" --input content --output glyph="$tmp/x.npy"
expect_fail "wrong input name" "stile" "$g" run "$m" --device cpu --input content=$d/case2_content.npy --input stile=$d/case2_style.npy --output glyph="$tmp/x.npy"
expect_fail "missing input" "inputs" "$g" run "$m" --device cpu --input content=$d/case2_content.npy --output glyph="$tmp/x.npy"
expect_fail "wrong shape" "does not broadcast" "$g" run "$m" --device cpu --input content=$d/case2_content.npy --input style=$d/case1_style.npy --output glyph="$tmp/x.npy"
printf 'not a numpy file at all' >"$tmp/junk.npy"
expect_fail "corrupt npy" "junk.npy" "$g" run "$m" --device cpu --input content="$tmp/junk.npy" --input style=$d/case2_style.npy --output glyph="$tmp/x.npy"
head -c 100 $d/case2_content.npy >"$tmp/short.npy"
expect_fail "truncated npy" "short.npy" "$g" run "$m" --device cpu --input content="$tmp/short.npy" --input style=$d/case2_style.npy --output glyph="$tmp/x.npy"
expect_fail "unwritable output" "/nonexistent-dir" "$g" run "$m" --device cpu --input content=$d/case2_content.npy --input style=$d/case2_style.npy --output glyph=/nonexistent-dir/x.npy
expect_fail "expect mismatch" "exceeds" "$g" run "$m" --device cpu --input content=$d/case2_content.npy --input style=$d/case2_style.npy --output glyph="$tmp/y.npy" --expect glyph=$d/case2_content.npy
printf 'garbage' >"$tmp/bad.onnx"
expect_fail "corrupt model" "bad.onnx" "$g" info "$tmp/bad.onnx"
# int8: calibrate on the golden inputs, then run within quantisation error
mkdir -p "$tmp/cal"
for k in 0 1 2; do cp $d/case${k}_content.npy "$tmp/cal/content.$k.npy"; cp $d/case${k}_style.npy "$tmp/cal/style.$k.npy"; done
"$g" calibrate "$m" --inputs "$tmp/cal" -o "$tmp/u.calib" >"$tmp/cal.log" 2>&1 && ok || bad "calibrate: $(cat "$tmp/cal.log")"
"$g" run "$m" --device cpu --precision int8 --calibration "$tmp/u.calib" --input content=$d/case1_content.npy \
  --input style=$d/case1_style.npy --output glyph="$tmp/g8.npy" --expect glyph=$d/case1_glyph.npy --tolerance 0.05 \
  >"$tmp/run8" 2>&1 && ok || bad "int8 run: $(cat "$tmp/run8")"
# int8 with no --calibration reads MODEL.calib beside MODEL.onnx
cp "$m" "$tmp/beside.onnx"
cp "$tmp/u.calib" "$tmp/beside.calib"
"$g" run "$tmp/beside.onnx" --device cpu --precision int8 --input content=$d/case1_content.npy \
  --input style=$d/case1_style.npy --output glyph="$tmp/g8b.npy" >"$tmp/run8b" 2>&1 && ok || bad "int8 beside: $(cat "$tmp/run8b")"
cmp -s "$tmp/g8.npy" "$tmp/g8b.npy" && ok || bad "int8 with the calibration beside the model differs from --calibration"
expect_fail "int8 without scales" "calibration" "$g" run "$m" --device cpu --precision int8 --input content=$d/case1_content.npy --input style=$d/case1_style.npy --output glyph="$tmp/x.npy"
expect_fail "int8 with a foreign calibration" "not this model" "$g" run $d/unet_opset11.onnx --device cpu --precision int8 --calibration "$tmp/u.calib" --input content=$d/case1_content.npy --input style=$d/case1_style.npy --output glyph="$tmp/x.npy"
[ ! -e "$tmp/x.npy" ] && ok || bad "a failed run left $tmp/x.npy"
ls "$tmp" | grep -q '\.tmp\.' && bad "temporary file left behind" || ok
echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
