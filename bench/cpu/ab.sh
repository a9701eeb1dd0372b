#!/bin/sh
# A/B of CPU backend settings on a shared machine: runs cpu_profile once per
# setting per round, alternating, and prints each setting's min and median
# whole-run wall time and process CPU time (all threads; less disturbed by
# waiting for a core) over the rounds, with the load average.
#
#   PROFILE=/tmp/cpu_profile ROUNDS=8 bench/cpu/ab.sh MODEL BATCH THREADS "ENV=.. ENV=.." "ENV=.." ...
#
# Each setting is a list of environment assignments (GLINT_CPU_CHUNK,
# GLINT_CPU_MIN_MFLOPS, GLINT_CPU_KERNEL); "-" is the default.
set -eu
prof=${PROFILE:-/tmp/cpu_profile}
rounds=${ROUNDS:-8}
model=$1 batch=$2 threads=$3
shift 3
tmp=$(mktemp)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
r=1
while [ "$r" -le "$rounds" ]; do
    i=0
    for setting in "$@"; do
        envs=$( [ "$setting" = "-" ] && echo "" || echo "$setting")
        line=$(env $envs "$prof" "$model" "$batch" 64 "$threads" 3 | head -1)
        us=$(echo "$line" | sed 's/.*run min \([0-9.]*\) us.*/\1/')
        cpu=$(echo "$line" | sed 's/.*cpu min \([0-9.]*\) us.*/\1/')
        echo "$i $us $cpu" >> "$tmp"
        i=$((i + 1))
    done
    r=$((r + 1))
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$tmp" "$@" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for i, name in enumerate(sys.argv[2:]):
    v = sorted(float(r[1]) for r in rows if int(r[0]) == i and len(r) > 2)
    c = sorted(float(r[2]) for r in rows if int(r[0]) == i and len(r) > 2)
    print("%-34s wall min %9.1f median %9.1f us | cpu min %9.1f median %9.1f us (%d)"
          % (name, v[0], statistics.median(v), c[0], statistics.median(c), len(v)))
PY
rm -f "$tmp"
