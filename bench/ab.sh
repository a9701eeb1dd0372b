#!/usr/bin/env bash
# A/B of a performance change in one call of the device machine: the
# working tree ("new") against a base ("old"), both built here, timed
# alternately with `glint bench` so that clock and thermal drift fall on
# both sides alike, and, on CUDA, each side's per-kernel profile
# (bench/cuda/cuda_profile). The base is the working tree with a patch
# reversed (what the device machine's copy can always give: its git
# history stops at the session's first commit) or a git revision.
#
#   bench/ab.sh OUTDIR (--base-patch FILE | --base-rev REV) [options]
#
#   --device D          cuda (default) or cpu
#   --precisions LIST   comma-separated, default fp16
#   --batches LIST      default 1,8,32
#   --reps N            alternating rounds, default 2
#   --iters N           runs per figure, default 2000 (warm-up a tenth)
#   --profile LIST      CUDA: "BATCH:PRECISION" pairs to profile on both
#                       sides, default 32:<first precision>
#   --tests             run scripts/gpu_check.sh on the new side first
#
# OUTDIR gets ab.txt (one line per run), ab.md (the median of each
# configuration and side, and new / old), profile_old.txt and
# profile_new.txt, build logs, and gpu_check/ with --tests. The builds
# (new in build-ab-new, old in build-ab-old beside a copy of the tree)
# run in parallel; a failed build stops the script with its log's tail.
set -u
usage() { sed -n '2,26p' "$0" >&2; exit 2; }
OUT=${1:-}
[ -n "$OUT" ] && [ "${OUT#-}" = "$OUT" ] || usage
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE_PATCH= BASE_REV= DEVICE=cuda PRECS=fp16 BATCHES=1,8,32 REPS=2 ITERS=2000 PROFILE= TESTS=0
while [ $# -gt 0 ]; do
  case $1 in
    --base-patch) BASE_PATCH=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    --base-rev) BASE_REV=$2; shift 2 ;;
    --device) DEVICE=$2; shift 2 ;;
    --precisions) PRECS=$2; shift 2 ;;
    --batches) BATCHES=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --iters) ITERS=$2; shift 2 ;;
    --profile) PROFILE=$2; shift 2 ;;
    --tests) TESTS=1; shift ;;
    *) echo "bench/ab.sh: unknown option '$1'" >&2; usage ;;
  esac
done
if [ -z "$BASE_PATCH$BASE_REV" ] || { [ -n "$BASE_PATCH" ] && [ -n "$BASE_REV" ]; }; then
  echo "bench/ab.sh: give exactly one of --base-patch and --base-rev" >&2; exit 2
fi
[ -z "$BASE_PATCH" ] || [ -f "$BASE_PATCH" ] || { echo "bench/ab.sh: no patch '$BASE_PATCH'" >&2; exit 2; }
[ -n "$PROFILE" ] || PROFILE="32:${PRECS%%,*}"
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
T0=$(date +%s)
log() { echo "[ab $(( $(date +%s) - T0 ))s] $*" | tee -a "$OUT/ab.log"; }

# The old tree: a copy of this one with the patch reversed, or the revision.
OLD_SRC=$ROOT/build-ab-old-src
rm -rf "$OLD_SRC" && mkdir -p "$OLD_SRC"
if [ -n "$BASE_PATCH" ]; then
  (cd "$ROOT" && tar --exclude='./build*' --exclude=./.git -cf - .) | tar -xf - -C "$OLD_SRC"
  (cd "$OLD_SRC" && patch -R -p1 -s < "$BASE_PATCH") ||
    { log "the patch does not reverse onto the working tree"; exit 1; }
else
  (cd "$ROOT" && git archive "$BASE_REV") | tar -xf - -C "$OLD_SRC" ||
    { log "git archive $BASE_REV failed"; exit 1; }
fi

CUDA_FLAGS="-DGLINT_CUDA=ON -DGLINT_CUDA_ARCHITECTURES=90"
[ "$DEVICE" = cuda ] || CUDA_FLAGS="-DGLINT_CUDA=OFF"
TARGETS="glint_cli"
[ "$DEVICE" = cuda ] && TARGETS="glint_cli cuda_profile"
JOBS=$(( $(nproc) / 2 > 1 ? $(nproc) / 2 : 1 ))
build() { # SRC DIR LOG
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DGLINT_GLYPH=OFF $CUDA_FLAGS > "$3" 2>&1 &&
    cmake --build "$2" -j"$JOBS" --target $TARGETS >> "$3" 2>&1
}
log "building new and old ($JOBS jobs each)"
build "$ROOT" "$ROOT/build-ab-new" "$OUT/build_new.log" & NEW_PID=$!
build "$OLD_SRC" "$ROOT/build-ab-old" "$OUT/build_old.log" & OLD_PID=$!
wait $NEW_PID; NEW_RC=$?
wait $OLD_PID; OLD_RC=$?
for side in new old; do
  rc=$NEW_RC; [ $side = old ] && rc=$OLD_RC
  [ "$rc" = 0 ] || { log "$side build failed:"; tail -15 "$OUT/build_$side.log" | tee -a "$OUT/ab.log"; exit 1; }
done
log "built"
bin() { find "$1" -name "$2" -type f -perm -u+x | head -1; }

if [ "$TESTS" = 1 ]; then
  GLINT_GPU_BUILD=$ROOT/build-ab-new "$ROOT/scripts/gpu_check.sh" "$OUT/gpu_check" > /dev/null 2>&1
  log "gpu_check: $(tail -1 "$OUT/gpu_check/gpu_check.log")"
fi

MODEL=$ROOT/models/glyph_generator.onnx
if [ "$DEVICE" = cuda ]; then
  for side in old new; do
    prof=$(bin "$ROOT/build-ab-$side" cuda_profile)
    for pb in ${PROFILE//,/ }; do
      echo "== ${pb%%:*} ${pb##*:}" >> "$OUT/profile_$side.txt"
      timeout 120 "$prof" "$MODEL" "${pb%%:*}" 64 "${pb##*:}" >> "$OUT/profile_$side.txt" 2>&1
    done
  done
  log "profiles written"
fi

# One line per run: round, precision, batch, side, p50 (us), glyphs/s.
: > "$OUT/ab.txt"
for rep in $(seq 1 "$REPS"); do
  for pr in ${PRECS//,/ }; do
    for b in ${BATCHES//,/ }; do
      for side in old new; do
        r=$(timeout 120 "$(bin "$ROOT/build-ab-$side" glint)" bench "$MODEL" --device "$DEVICE" \
              --precision "$pr" --batch "$b" --size 64 --iters "$ITERS" --warmup $(( ITERS / 10 + 1 )) \
              --json 2>/dev/null | tr -d ' \n')
        p50=$(echo "$r" | sed -n 's/.*"p50_us":\([0-9.]*\).*/\1/p')
        gps=$(echo "$r" | sed -n 's/.*"glyphs_per_s":\([0-9.]*\).*/\1/p')
        echo "$rep $pr $b $side ${p50:-nan} ${gps:-nan}" >> "$OUT/ab.txt"
      done
    done
  done
done
log "timed $(wc -l < "$OUT/ab.txt") runs"

# The median of each configuration and side, and new / old.
{
  echo "| precision | batch | old p50 us | new p50 us | new/old | old glyphs/s | new glyphs/s |"
  echo "|---|---|---|---|---|---|---|"
  sort -k2,2 -k3,3n "$OUT/ab.txt" | awk '
    function median(list,   n, a, i, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { k = $2 " " $3; keys[k] = 1; p[k, $4] = p[k, $4] " " $5; g[k, $4] = g[k, $4] " " $6 }
    END {
      for (k in keys) {
        split(k, kp, " ")
        po = median(p[k, "old"]); pn = median(p[k, "new"])
        printf "| %s | %s | %.1f | %.1f | %.3f | %.0f | %.0f |\n", kp[1], kp[2], po, pn,
               (po > 0 ? pn / po : 0), median(g[k, "old"]), median(g[k, "new"])
      }
    }' | sort -t'|' -k2,2 -k3,3n
} > "$OUT/ab.md"
cat "$OUT/ab.md" | tee -a "$OUT/ab.log"
rm -rf "$OLD_SRC"
log "done"
