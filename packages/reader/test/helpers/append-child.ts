/**
 * One job: the writer process of the cross-process follow tests. Run as
 *   node --import=tsx --conditions=@seglog/source test/helpers/append-child.ts <dir> <count|forever> [cutBack]
 * it opens the log, prints `open <nextOffset>`; with `cutBack`, prints `truncating <offset>`, drops
 * the last `cutBack` records with truncateAfter and prints `truncated <offset>`; then appends from
 * 8 concurrent appenders until
 * `count` records exist (then closes and prints `done`) or forever (until it is killed). Each
 * payload is `record <offset> <pid>`: the offset lets a follower check order, the pid which
 * writer wrote it.
 */
import { openLog } from '@seglog/store';

const [dir, countArg, cutBackArg] = process.argv.slice(2) as [string, string, string | undefined];
const count = countArg === 'forever' ? Number.POSITIVE_INFINITY : Number(countArg);
/** A child whose parent died must not append forever. */
setTimeout(() => process.exit(3), 60_000).unref();

const log = await openLog({ dir, blockBytes: 512, segmentBytes: 64 * 1024 });
process.stdout.write(`open ${log.nextOffset}\n`);
if (cutBackArg !== undefined) {
  const cut = Math.max(log.firstOffset, log.nextOffset - Number(cutBackArg));
  process.stdout.write(`truncating ${cut}\n`);
  await log.truncateAfter(cut);
  process.stdout.write(`truncated ${cut}\n`);
}
async function appender(): Promise<void> {
  while (log.nextOffset < count) {
    const offset = log.nextOffset;
    const got = await log.append(new TextEncoder().encode(`record ${offset} ${process.pid}`));
    if (got !== offset) throw new Error(`offset ${got} for ${offset}`);
  }
}
await Promise.all(Array.from({ length: 8 }, appender));
await log.close();
process.stdout.write('done\n');
