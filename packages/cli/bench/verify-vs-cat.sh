#!/bin/sh
# seglog verify vs cat into /dev/null, warm cache, alternating runs; wall seconds per run.
DIR=$1; RUNS=${2:-9}
cat $DIR/*.seg > /dev/null
i=0; while [ $i -lt $RUNS ]; do
  /usr/bin/time -f "cat %e" sh -c "cat $DIR/*.seg > /dev/null"
  /usr/bin/time -f "verify %e" node "$(dirname "$0")/../bin/seglog.js" verify $DIR > /dev/null
  i=$((i+1))
done
