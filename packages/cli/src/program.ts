/**
 * One job: the command line: subcommands, flags, help with examples, and the mapping of every
 * failure to the exit bits of exit-codes.ts. Commander's own errors (an unknown flag, a missing
 * argument) are usage errors, 16, not commander's default 1. SIGINT aborts the one AbortController
 * every command reads through; a command stopped by it exits 32.
 *
 * Each command's module is imported when that command runs, so `verify` never loads the writer
 * or the reader (and `bench` alone loads the benchmarks): start-up is part of verify's speed.
 */
import { Command, CommanderError, Option } from 'commander';
import { classify, CliError } from './cli-error.js';
import { formatOf, parseCount, parseWhen } from './context.js';
import type { Context, FormatFlags } from './context.js';
import { Exit, statusOf } from './exit-codes.js';
import { JSON_VERSION, Output } from './output.js';
import { addJetstreamCommands } from './commands/jetstream.js';
import { PAYLOAD_FORMATS } from './record-output.js';
import type { PayloadFormat } from './record-output.js';

type Action = (ctx: Context) => Promise<number>;

/** Records `tail` prints before it follows when neither --from nor --last says otherwise, as tail(1). */
const TAIL_LAST_DEFAULT = 10;

type RangeFlags = FormatFlags & { from?: string; to?: string; count?: string; last?: string; payload: PayloadFormat };
type DumpCommandFlags = RangeFlags & { raw?: boolean; since?: string; until?: string };
type TailCommandFlags = RangeFlags & { follow?: boolean };
type TruncateCommandFlags = FormatFlags & { before?: string; after?: string; force?: boolean; apply?: boolean };
type BenchCommandFlags = FormatFlags & {
  probe?: boolean;
  quick?: boolean;
  seconds?: string;
  warmupMs?: string;
  dir?: string;
  thresholdUs?: string;
};

interface RunHow {
  /** SIGINT is the normal way to stop this command (`tail -f`): exit 0, not 32. */
  readonly sigintEnds?: boolean;
}

const EXIT_HELP = `
Exit codes add up, as fsck's do:
  0 clean   1 changed on disk   2 warnings only (torn tail, stale index)
  4 data problem left (mid-log damage, gap, lost records)   8 operational error (I/O, locked, not a log)
  16 usage error   32 cancelled (SIGINT)`;

export async function runCli(argv: readonly string[]): Promise<number> {
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.on('SIGINT', onSigint);
  let exitCode = Exit.clean as number;
  const run = async (flags: FormatFlags, action: Action, how: RunHow = {}): Promise<void> => {
    exitCode = await runAction(flags, controller.signal, action, how);
  };
  const program = buildProgram(run);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    exitCode = error.exitCode === 0 ? Exit.clean : Exit.usage;
  } finally {
    process.off('SIGINT', onSigint);
  }
  return exitCode;
}

async function runAction(flags: FormatFlags, signal: AbortSignal, action: Action, how: RunHow): Promise<number> {
  let out: Output;
  try {
    out = new Output(formatOf(flags));
  } catch (error) {
    const failure = classify(error);
    process.stderr.write(`error: ${failure.message}\n`);
    return failure.exitCode;
  }
  try {
    const code = await action({ out, signal });
    return signal.aborted && how.sigintEnds !== true ? code | Exit.cancelled : code;
  } catch (error) {
    const failure = classify(error);
    const exitCode = signal.aborted ? failure.exitCode | Exit.cancelled : failure.exitCode;
    out.error(failure.message);
    if (out.format !== 'text') {
      await out.document({ status: statusOf(exitCode), exitCode, error: { code: signal.aborted ? 'SEGLOG_CANCELLED' : failure.code, message: failure.message } });
    }
    return exitCode;
  }
}

function withFormat(command: Command, ndjson: boolean): Command {
  command.option('--json', `one JSON document (with "version": ${JSON_VERSION}) on stdout`);
  if (ndjson) command.option('--ndjson', 'one JSON object per line on stdout');
  return command;
}

function buildProgram(run: (flags: FormatFlags, action: Action, how?: RunHow) => Promise<void>): Command {
  const program = new Command('seglog')
    .description('Inspect, verify, dump, follow and repair a seglog directory.\nRead commands take no lock and read only what is durable (HEAD); they are safe beside a running writer.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) })
    .addHelpText('after', examples(
      'seglog stat /var/lib/app/log',
      'seglog verify /var/lib/app/log --json',
      'seglog dump /var/lib/app/log --last 10 --payload json',
      'seglog tail -f /var/lib/app/log --ndjson',
      'seglog repair /var/lib/app/log            # prints the plan, changes nothing',
      'seglog bench --probe --dir /var/lib/app   # is this disk fast enough for a log?',
    ) + `\n${EXIT_HELP}`);

  withFormat(program.command('stat').argument('<dir>', 'log directory'), false)
    .description('format, segments and bytes, first/durable/next offsets, HEAD, writer lock, free disk')
    .addHelpText('after', examples(
      'seglog stat ./data/log',
      'seglog stat ./data/log --json | jq .offsets',
    ))
    .action((dir: string, flags: FormatFlags) => run(flags, async (ctx) => (await import('./commands/stat.js')).stat(ctx, dir)));

  withFormat(program.command('segments').alias('ls').argument('<dir>', 'log directory'), true)
    .description('one row per segment: base, last offset, records, bytes, state, index')
    .addHelpText('after', examples(
      'seglog segments ./data/log',
      'seglog segments ./data/log --ndjson',
    ))
    .action((dir: string, flags: FormatFlags) => run(flags, async (ctx) => (await import('./commands/segments.js')).segments(ctx, dir)));

  withFormat(program.command('verify').argument('<dir>', 'log directory'), false)
    .description('check every checksum, the chain within and between segments, the indexes and HEAD')
    .option('--quick', 'read only what recovery reads: headers, indexes, each segment from its last index entry')
    .option('--max-errors <n>', 'stop listing after this many problems', '100')
    .addOption(new Option('--progress <when>', 'progress bar on stderr').choices(['auto', 'always', 'never']).default('auto'))
    .option('--jobs <n>', 'segments checked at once, each on its own thread (default: one per CPU, up to 4, for a full verify of 64 MiB or more; else 1)')
    .addHelpText('after', examples(
      'seglog verify ./data/log',
      'seglog verify ./data/log --quick',
      'seglog verify ./data/log --json --max-errors 10',
      'seglog verify ./data/log --jobs 1         # one thread, beside a busy service',
    ) + `\n${EXIT_HELP}`)
    .action((dir: string, flags: FormatFlags & { quick?: boolean; maxErrors: string; progress: 'auto' | 'always' | 'never'; jobs?: string }) =>
      run(flags, async (ctx) =>
        (await import('./commands/verify.js')).verify(ctx, dir, {
          quick: flags.quick === true,
          maxErrors: positive('--max-errors', flags.maxErrors),
          progress: flags.progress,
          jobs: flags.jobs === undefined ? undefined : jobsOf(flags.jobs),
        }),
      ),
    );

  withFormat(program.command('dump').argument('<target>', 'log directory, or one segment file (*.seg)'), true)
    .description('print records in a range, or with --raw the framing: batches, headers, stored vs computed CRC')
    .option('--from <offset>', 'first offset')
    .option('--to <offset>', 'one past the last offset')
    .option('--count <n>', 'at most this many records')
    .option('--last <n>', 'the last n records')
    .option('--since <when>', 'records appended at or after this time (ISO 8601 or ms since the epoch)')
    .option('--until <when>', 'records appended before this time')
    .addOption(payloadOption())
    .option('--raw', 'the framing view: one line per batch with its position and checksums')
    .addHelpText('after', examples(
      'seglog dump ./data/log --from 100 --count 5',
      'seglog dump ./data/log --last 1 --payload json --ndjson',
      'seglog dump ./data/log/00000000000000000000.seg --raw',
      'seglog dump ./data/log | head -1        # ends quietly',
    ))
    .action((target: string, flags: DumpCommandFlags) =>
      run(flags, async (ctx) =>
        (await import('./commands/dump.js')).dump(ctx, target, {
          from: parseCount('--from', flags.from),
          to: parseCount('--to', flags.to),
          count: parseCount('--count', flags.count),
          last: parseCount('--last', flags.last),
          since: flags.since === undefined ? undefined : parseWhen('--since', flags.since),
          until: flags.until === undefined ? undefined : parseWhen('--until', flags.until),
          payload: flags.payload,
          raw: flags.raw === true,
        }),
      ),
    );

  // A follow never ends, so one JSON document cannot hold it: --ndjson only.
  program.command('tail').argument('<dir>', 'log directory')
    .option('--ndjson', 'one JSON object per record on stdout')
    .description('the last records (default 10), and with -f every record as it becomes durable, until Ctrl-C')
    .option('-f, --follow', 'keep printing records as the writer acknowledges them (SIGINT ends it: exit 0)')
    .option('--from <offset>', 'start at this offset instead of the last records')
    .option('--last <n>', `start with the last n records (default ${TAIL_LAST_DEFAULT})`)
    .addOption(payloadOption())
    .addHelpText('after', examples(
      'seglog tail ./data/log',
      'seglog tail -f ./data/log --payload json',
      'seglog tail -f ./data/log --from 0 --ndjson | jq .payload',
    ))
    .action((dir: string, flags: TailCommandFlags) =>
      run(flags, async (ctx) =>
        (await import('./commands/tail.js')).tail(ctx, dir, {
          follow: flags.follow === true,
          from: parseCount('--from', flags.from),
          last: parseCount('--last', flags.last) ?? (flags.from === undefined ? TAIL_LAST_DEFAULT : undefined),
          payload: flags.payload,
        }), { sigintEnds: true },
      ),
    );

  withFormat(program.command('offsets').argument('<dir>', 'log directory'), false)
    .description('the first offset appended at or after a time (a binary search over the batches\' append times)')
    .requiredOption('--time <when>', 'an ISO 8601 time (2026-12-06T20:00:00Z) or ms since the epoch')
    .addHelpText('after', examples(
      'seglog offsets ./data/log --time 2026-12-06T20:00:00Z',
      'seglog dump ./data/log --from "$(seglog offsets ./data/log --time 2026-12-06T20:00:00Z | cut -d\' \' -f1)"',
    ))
    .action((dir: string, flags: FormatFlags & { time: string }) =>
      run(flags, async (ctx) => {
        const command = await import('./commands/offsets.js');
        return command.offsets(ctx, dir, command.parseWhen('--time', flags.time));
      }),
    );

  withFormat(program.command('repair').argument('<dir>', 'log directory'), false)
    .description('plan (default) or apply the repair of a torn tail; copy every valid record of a damaged log into a new one')
    .option('--apply', 'change the log: back up what changes, fsync the backup, then cut the torn tail (takes the writer lock)')
    .option('--backup-dir <dir>', 'where --apply keeps its backup (default <dir>/.seglog-repair/<time>)')
    .option('--salvage <newdir>', 'copy every valid record into a new log in <newdir> (mid-log damage; never in place)')
    .addHelpText('after', examples(
      'seglog repair ./data/log                       # the plan; changes nothing',
      'seglog repair ./data/log --apply',
      'seglog repair ./data/log --salvage ./data/log-salvaged',
    ) + `\n${EXIT_HELP}`)
    .action((dir: string, flags: FormatFlags & { apply?: boolean; backupDir?: string; salvage?: string }) =>
      run(flags, async (ctx) => (await import('./commands/repair.js')).repair(ctx, dir, { ...flags, apply: flags.apply === true })),
    );

  withFormat(program.command('truncate').argument('<dir>', 'log directory'), false)
    .description('drop the records below an offset (--before) or from an offset on (--after); a dry run unless --apply')
    .option('--before <offset>', 'the new first offset: records below it are dropped (whole segments are deleted)')
    .option('--after <offset>', 'the new end: records at it and after are dropped, and their offsets reused')
    .option('--force', 'with --before: drop past retention holds too (the plan names them)')
    .option('--apply', 'do it: opens the log as its writer (takes the writer lock), truncates, closes')
    .addHelpText('after', examples(
      'seglog truncate ./data/log --before 1000000            # the plan; changes nothing',
      'seglog truncate ./data/log --before 1000000 --apply',
      'seglog truncate ./data/log --after 5000 --apply --json # roll back what came after 4999',
    ))
    .action((dir: string, flags: TruncateCommandFlags) =>
      run(flags, async (ctx) =>
        (await import('./commands/truncate.js')).truncate(ctx, dir, {
          before: parseCount('--before', flags.before),
          after: parseCount('--after', flags.after),
          force: flags.force === true,
          apply: flags.apply === true,
        }),
      ),
    );

  withFormat(program.command('bench'), false)
    .description("group commit against one write + fdatasync per record on temporary logs; --probe: this disk's flush latency")
    .option('--probe', 'measure the flush latency, print the adaptive commit window for it and PASS/FAIL (exit 2 on FAIL)')
    .option('--dir <dir>', 'run on the disk behind <dir> (temporary directories inside it; default: the OS temp dir)')
    .option('--seconds <s>', 'measured seconds per cell (default 3; --quick 1), or of the probe (default 2)')
    .option('--quick', '1 s per cell and a shorter warm-up')
    .option('--warmup-ms <ms>', 'warm-up before each measured cell (default 1500; --quick 1000)')
    .option('--threshold-us <us>', 'with --probe: PASS when the flush p99 is at most this many µs (default 10000)')
    .addHelpText('after', examples(
      'seglog bench --quick',
      'seglog bench --probe --dir /var/lib/app        # the disk the log will live on',
      'seglog bench --probe --threshold-us 2000 --json',
    ))
    .action((flags: BenchCommandFlags) =>
      run(flags, async (ctx) =>
        (await import('./commands/bench.js')).bench(ctx, {
          probe: flags.probe === true,
          quick: flags.quick === true,
          seconds: decimal('--seconds', flags.seconds, false),
          warmupMs: parseCount('--warmup-ms', flags.warmupMs),
          dir: flags.dir,
          thresholdMicros: decimal('--threshold-us', flags.thresholdUs, true),
        }),
      ),
    );

  const index = program.command('index').description('sparse offset indexes (.idx)');
  withFormat(index.command('rebuild').argument('<dir>', 'log directory'), false)
    .description('rebuild every segment index from its batches (takes the writer lock)')
    .option('--interval-bytes <n>', 'one entry per this many segment bytes (the writer\'s indexIntervalBytes)')
    .addHelpText('after', examples(
      'seglog index rebuild ./data/log',
      'seglog index rebuild ./data/log --json',
    ))
    .action((dir: string, flags: FormatFlags & { intervalBytes?: string }) =>
      run(flags, async (ctx) => (await import('./commands/index-rebuild.js')).rebuildIndex(ctx, dir, { intervalBytes: flags.intervalBytes === undefined ? undefined : positive('--interval-bytes', flags.intervalBytes) })),
    );
  addJetstreamCommands(program, run);
  return program;
}

/** The help text after a command's options: an `Examples:` block, one `$ command` a line. */
function examples(...commands: readonly string[]): string {
  return ['\nExamples:', ...commands.map((command) => `  $ ${command}`)].join('\n');
}

function payloadOption(): Option {
  return new Option('--payload <how>', 'how to print payloads').choices(PAYLOAD_FORMATS).default('utf8');
}

/** A decimal number flag: positive, or with `zeroOk` non-negative; a usage error otherwise. */
function decimal(flag: string, value: string | undefined, zeroOk: boolean): number | undefined {
  if (value === undefined) return undefined;
  const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed) || (!zeroOk && parsed === 0)) {
    throw CliError.usage(`${flag} must be a ${zeroOk ? 'non-negative' : 'positive'} number, got '${value}'`);
  }
  return parsed;
}

/** More threads than this would only queue behind libuv's pool, which makes every lane's reads. */
const JOBS_MAX = 64;

function jobsOf(value: string): number {
  const jobs = positive('--jobs', value);
  if (jobs > JOBS_MAX) throw CliError.usage(`--jobs must be at most ${JOBS_MAX}`);
  return jobs;
}

function positive(flag: string, value: string): number {
  const parsed = parseCount(flag, value)!;
  if (parsed < 1) throw CliError.usage(`${flag} must be at least 1`);
  return parsed;
}
