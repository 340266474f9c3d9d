/**
 * One job: the process that gets killed. Run as
 *   node --import=tsx --conditions=@seglog/source test/helpers/kill9-child.ts '<json config>'
 * it loads, prints `L`, waits for `go` on stdin (so the parent can start it early and hide the
 * module-loading time), opens the log, prints `R <nextOffset>`, then runs many concurrent appenders
 * until it is killed. Every acknowledged offset is reported as `A <from>:<to> ...` (half-open
 * ranges, one line per event-loop turn). stdout is a pipe, and pipe writes are synchronous on
 * Linux, so a line printed before the SIGKILL reaches the parent.
 *
 * Payloads come from fuzz-pattern.ts and depend only on the offset. Offsets are assigned in call
 * order (FIFO admission), so each appender knows the offset its record will get before calling, and
 * checks that the acknowledgement says the same. Anything unexpected prints `E <message>` and exits 1.
 */
import { createInterface } from 'node:readline';
import { Prng } from '@seglog/testkit';
import type { LogOptions } from '@seglog/types';
import { openLog } from '../../src/index.js';
import type { Log } from '../../src/index.js';
import { KILL_PROFILE, payloadAt } from './fuzz-pattern.js';

export interface Kill9ChildConfig {
  readonly dir: string;
  /** Seeds this child's choices (appendMany runs, options); the parent derives it per cycle. */
  readonly seed: number;
  /** Salt of the payload pattern: fixed for the life of one log. */
  readonly salt: number;
  readonly appenders: number;
  readonly options: Omit<LogOptions, 'dir' | 'io' | 'clock'>;
}

/** A child that is never killed (a parent that died) must not append forever. */
const LIFETIME_MS_MAX = 30_000;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function die(error: unknown): never {
  const text = error instanceof Error ? `${error.stack ?? error.message}` : String(error);
  say(`E ${text.replace(/\n/g, ' | ')}`);
  process.exit(1);
}

/** Collects acknowledged offsets and prints them as ranges once per event-loop turn. */
class AckReporter {
  #pending: Array<[number, number]> = [];
  #scheduled = false;

  add(from: number, count: number): void {
    this.#pending.push([from, from + count]);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const ranges = this.#pending.sort((a, b) => a[0] - b[0]);
    this.#pending = [];
    const merged: Array<[number, number]> = [];
    for (const range of ranges) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last[1] === range[0]) last[1] = range[1];
      else merged.push([range[0], range[1]]);
    }
    say(`A ${merged.map(([from, to]) => `${from}:${to}`).join(' ')}`);
  }
}

/** One appender: forever append one record (or a short run) and check the offset it comes back with. */
async function appendLoop(
  log: Log,
  claim: (count: number) => number,
  prng: Prng,
  salt: number,
  acks: AckReporter,
): Promise<never> {
  for (;;) {
    const count = prng.bool(0.15) ? prng.int(2, 7) : 1;
    const first = claim(count);
    const payloads = Array.from({ length: count }, (_, i) => payloadAt(first + i, salt, KILL_PROFILE));
    const offset = count === 1 ? await log.append(payloads[0]!) : await log.appendMany(payloads);
    if (offset !== first) die(new Error(`append acknowledged offset ${offset}, expected ${first} (offsets must follow call order)`));
    acks.add(first, count);
  }
}

async function main(config: Kill9ChildConfig): Promise<void> {
  setTimeout(() => die(new Error('lived too long: the parent never killed this child')), LIFETIME_MS_MAX).unref();
  const lines = createInterface({ input: process.stdin });
  // A vanished parent closes our stdin: stop rather than append with nobody checking.
  lines.on('close', () => process.exit(2));
  say('L');
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  const log = await openLog({ dir: config.dir, ...config.options });
  say(`R ${log.nextOffset}`);
  let predicted = log.nextOffset;
  const claim = (count: number): number => {
    const first = predicted;
    predicted += count;
    return first;
  };
  const prng = new Prng(config.seed);
  const acks = new AckReporter();
  for (let i = 0; i < config.appenders; i++) void appendLoop(log, claim, prng.fork(), config.salt, acks).catch(die);
}

process.on('unhandledRejection', die);
main(JSON.parse(process.argv[2] ?? '{}') as Kill9ChildConfig).catch(die);
