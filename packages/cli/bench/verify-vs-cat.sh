#!/bin/sh
# seglog verify against cat into /dev/null on the same files, warm page cache, runs alternating,
# wall seconds of the whole process (start-up included). Run it under the benchmark lock:
#   flock /tmp/seglog-bench.lock packages/cli/bench/verify-vs-cat.sh <dir> [runs] [baseline-bin]
# With a third argument (another build's bin/seglog.js) that build's verify runs in the same
# rounds, for a before/after in one run. Prints every run, then medians and verify / cat speed.
# The log: node bench/make-log.mjs <dir> (2.0 GB of 4 MB batches). On a machine other work keeps
# busy, `chrt -f 50` in front of this script (root, while holding the benchmark lock) stands in for
# a quiet machine: the measured processes get both cores, the other work waits a few seconds.
DIR=$1; RUNS=${2:-9}; BASELINE=$3
BIN="$(dirname "$0")/../bin/seglog.js"
OUT=$(mktemp)
cat "$DIR"/*.seg > /dev/null
node "$BIN" verify "$DIR" > /dev/null
i=0; while [ "$i" -lt "$RUNS" ]; do
  /usr/bin/time -a -o "$OUT" -f "cat %e %U %S" sh -c "cat $DIR/*.seg > /dev/null"
  /usr/bin/time -a -o "$OUT" -f "verify %e %U %S" node "$BIN" verify "$DIR" > /dev/null
  if [ -n "$BASELINE" ]; then
    /usr/bin/time -a -o "$OUT" -f "baseline %e %U %S" node "$BASELINE" verify "$DIR" > /dev/null
  fi
  i=$((i+1))
done
cat "$OUT"
median() { grep "^$1 " "$OUT" | awk "{print \$$2}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu() { grep "^$1 " "$OUT" | awk '{print $3 + $4}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for what in cat verify baseline; do
  grep -q "^$what " "$OUT" || continue
  echo "$what: median wall $(median $what 2) s, median CPU $(cpu $what) s"
done
echo "verify / cat speed: $(echo "$(median cat 2) $(median verify 2)" | awk '{printf "%.0f%%", 100 * $1 / $2}')"
if [ -n "$BASELINE" ]; then
  echo "baseline / cat speed: $(echo "$(median cat 2) $(median baseline 2)" | awk '{printf "%.0f%%", 100 * $1 / $2}')"
fi
rm -f "$OUT"
