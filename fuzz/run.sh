#!/bin/sh
# Builds the fuzzers with clang, ASan and UBSan in build-fuzz and runs them
# for SECONDS in all (default 60): the ONNX loader (fuzz_load, five sixths of
# the time) on fuzz/seeds plus models made by scripts/make_fuzz_corpus.py
# when python3 with onnx is available, then the calibration file parser
# (fuzz_calib) on the bundled models' .calib files.
# Usage: fuzz/run.sh [SECONDS]   (CI: fuzz/run.sh 120)
# The corpus starts afresh and libFuzzer's seed is GLINT_FUZZ_SEED (default
# 1), so a run is reproducible: CI explores the same inputs as a run here of
# at least the same length. GLINT_FUZZ_SEED=0 takes a random seed, for
# exploring further.
# Exit status: 0 when the fuzzer found nothing; crashers go to
# build-fuzz/artifacts/.
set -eu
SECONDS_TO_RUN=${1:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${GLINT_FUZZ_BUILD:-$ROOT/build-fuzz}
JOBS=${GLINT_FUZZ_JOBS:-2}
ENGINE=${GLINT_FUZZ_ENGINE:-ON}
SEED=${GLINT_FUZZ_SEED:-1}

if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz/run.sh: clang is required (Debian: apt-get install clang)" >&2
  exit 1
fi

# Sanitizers through CMAKE_C_FLAGS so that they apply to every object,
# whatever GLINT_SANITIZE does.
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CC=clang cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="$SAN" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DGLINT_FUZZ=ON -DGLINT_FUZZ_ENGINE="$ENGINE" \
  -DGLINT_CUDA=OFF -DGLINT_GLYPH=OFF -DGLINT_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" --target fuzz_load fuzz_calib -j "$JOBS"
CALIB_S=$((SECONDS_TO_RUN / 6))
[ "$CALIB_S" -ge 1 ] || CALIB_S=1
LOAD_S=$((SECONDS_TO_RUN - CALIB_S))
[ "$LOAD_S" -ge 1 ] || LOAD_S=1

CORPUS="$BUILD/corpus"
rm -rf "$CORPUS"
mkdir -p "$CORPUS" "$BUILD/artifacts"
cp "$ROOT"/fuzz/seeds/*.onnx "$CORPUS"/ 2>/dev/null || true
PY=""
for p in /usr/bin/python3 python3; do
  if "$p" -c "import onnx, numpy" >/dev/null 2>&1; then PY=$p; break; fi
done
if [ -n "$PY" ]; then
  "$PY" "$ROOT/scripts/make_fuzz_corpus.py" "$CORPUS"
else
  echo "fuzz/run.sh: python3 onnx not found; using fuzz/seeds only"
fi

# Leaks are bugs too (detect_leaks); the RSS cap catches runaway allocation.
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$BUILD/fuzz/fuzz_load" -max_total_time="$LOAD_S" -seed="$SEED" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/" "$CORPUS"

CALIB_CORPUS="$BUILD/corpus_calib"
rm -rf "$CALIB_CORPUS"
mkdir -p "$CALIB_CORPUS"
cp "$ROOT"/models/*.calib "$CALIB_CORPUS"/
"$BUILD/fuzz/fuzz_calib" -max_total_time="$CALIB_S" -seed="$SEED" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/" "$CALIB_CORPUS"
