// `seglog verify` on one thread (--jobs 1), for an A/B against the default lanes in one run:
//   flock /tmp/seglog-bench.lock chrt -f 50 bench/verify-vs-cat.sh /tmp/verify-log 9 bench/verify-one-thread.mjs
process.argv.push('--jobs', '1');
await import('../dist/main.js');
