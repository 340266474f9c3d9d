/**
 * One job: `seglog offsets <dir> --time <when>`: the first offset appended at or after a time, on
 * the reader's `offsetForTime` (a binary search over the v2 batches' append times, not a scan),
 * like Kafka's GetOffsetShell with a timestamp. No lock; only readable records count (at or above
 * the low-water mark, below the durable end). Records in format v1 segments carry no time and are
 * never the answer. When no readable record is that new, the offset is null: a consumer that
 * wants "from then on" starts at the end.
 */
import { openReader } from '@seglog/reader';
import type { Context } from '../context.js';
export { parseWhen } from '../context.js';
import { Exit } from '../exit-codes.js';
import { readLogDir } from '../log-dir.js';

export async function offsets(ctx: Context, dir: string, timeMs: number): Promise<number> {
  await readLogDir(dir); // SEGLOG_NOT_A_LOG before the reader says something less clear
  const reader = await openReader({ dir });
  try {
    const offset = (await reader.offsetForTime(timeMs)) ?? null;
    const bounds = { first: await reader.firstOffset(), end: await reader.endOffset() };
    let appendTimeMs: number | null = null;
    if (offset !== null) {
      for await (const record of reader.read({ from: offset, to: offset + 1 })) {
        appendTimeMs = record.appendTimeMs ?? null;
      }
    }
    const time = new Date(timeMs).toISOString();
    if (ctx.out.format !== 'text') {
      await ctx.out.document({ tool: 'seglog offsets', dir, time, timeMs, offset, appendTimeMs, bounds, exitCode: Exit.clean });
    } else if (offset === null) {
      await ctx.out.line(`none: no readable record was appended at or after ${time} (the log ends at ${bounds.end})`);
    } else {
      const when = appendTimeMs === null ? '' : ` (appended ${new Date(appendTimeMs).toISOString()})`;
      await ctx.out.line(`${offset}${when}`);
    }
  } finally {
    await reader.close();
  }
  return Exit.clean;
}
