// The log verify-vs-cat.sh measures: 500,000 records of 4,000 B appended 1,000 at a time (4 MB
// batches, what a busy writer makes under the default 4 MiB batch cap) into 64 MiB segments:
// 32 segments, 2.0 GB. Run from packages/cli after `pnpm build`:
//   node bench/make-log.mjs /tmp/verify-log [batches=500]
import { openLog } from '@seglog/store';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: node bench/make-log.mjs <new-dir> [batches]');
const batches = Number(process.argv[3] ?? 500);
const log = await openLog({ dir, segmentBytes: 64 * 1024 * 1024 });
const payload = new Uint8Array(4000);
for (let batch = 0; batch < batches; batch++) {
  const payloads = Array.from({ length: 1000 }, (_, i) => {
    const record = payload.slice();
    record[0] = i & 255;
    record[1] = batch & 255;
    return record;
  });
  await log.appendMany(payloads);
}
await log.close();
