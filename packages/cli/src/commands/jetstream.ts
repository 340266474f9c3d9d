/**
 * One job: `seglog jetstream ship|restore|stat`: the @seglog/jetstream operations from the shell.
 * `ship` follows a log and ships it until SIGINT (then closes cleanly: in-flight publishes are
 * acknowledged and the retention hold written), printing its lag every `--every` seconds; `restore`
 * writes a new log from a stream; `stat` shows how far a stream is behind a log, with no shipper
 * needed. docs/jetstream.md has the guarantees; docs/cli.md the command line.
 */
import type { Command } from 'commander';
import type { ShipperMetrics } from '@seglog/jetstream';
import { CliError } from '../cli-error.js';
import { formatOf, parseCount, type Context, type FormatFlags } from '../context.js';
import { Exit } from '../exit-codes.js';

/** program.ts's runner: output, SIGINT, exit codes; `sigintEnds` makes SIGINT a clean end (exit 0). */
type Run = (
  flags: FormatFlags,
  action: (ctx: Context) => Promise<number>,
  how?: { readonly sigintEnds?: boolean },
) => Promise<void>;

interface StreamFlags extends FormatFlags {
  readonly servers: string;
  readonly stream: string;
  readonly subject?: string;
}

interface ShipFlags extends StreamFlags {
  readonly every: string;
  readonly replicas: string;
  readonly hold: boolean;
  readonly skipBehind?: boolean;
}

function servers(flags: StreamFlags): string[] {
  const list = flags.servers.split(',').map((server) => server.trim()).filter((server) => server.length > 0);
  if (list.length === 0) throw CliError.usage('--servers needs at least one host:port');
  return list;
}

function withStream(command: Command): Command {
  return command
    .requiredOption('--servers <list>', 'NATS servers, comma-separated host:port (any members of the cluster)')
    .requiredOption('--stream <name>', 'the JetStream stream (one per log)')
    .option('--subject <subject>', "the stream's only subject (default seglog.<stream>)")
    .option('--json', 'one JSON document on stdout (ship: one JSON object per report line)');
}

/** Adds `jetstream` and its subcommands to the program (created from it, so they share its exit handling). */
export function addJetstreamCommands(program: Command, run: Run): void {
  const command = program.command('jetstream').description('ship a log to a NATS JetStream stream exactly once, restore it, see the lag');
  withStream(command.command('ship').argument('<dir>', 'log directory (read-only; the writer may run elsewhere)'))
    .description('follow the log and publish every record to the stream until SIGINT; prints the lag')
    .option('--every <seconds>', 'report every this many seconds (0: only at the end)', '5')
    .option('--replicas <n>', 'replicas of the stream if ship creates it (R3 is what makes it durable)', '3')
    .option('--no-hold', 'do not keep a retention hold at the shipped position')
    .option('--skip-behind', "go on past records retention dropped before they were shipped (default: stop)")
    .addHelpText('after', '\nExamples:\n  $ seglog jetstream ship ./data/log --servers 10.0.0.1:4222,10.0.0.2:4222 --stream ORDERS')
    .action((dir: string, flags: ShipFlags) =>
      run(flags, (ctx) => shipUntilStopped(ctx, dir, flags), { sigintEnds: true }));
  withStream(command.command('restore').argument('<dir>', 'a new (missing or empty) log directory'))
    .description('write a new log from the stream: same log id, offsets and payloads')
    .addHelpText('after', '\nExamples:\n  $ seglog jetstream restore ./data/log-restored --servers 127.0.0.1:4222 --stream ORDERS')
    .action((dir: string, flags: StreamFlags) => run(flags, async (ctx) => {
      const { stream, subject } = flags;
      const { restore } = await import('@seglog/jetstream');
      const result = await restore({ dir, servers: servers(flags), stream, subject, signal: ctx.signal });
      if (ctx.out.format !== 'text') await ctx.out.document({ tool: 'seglog jetstream restore', ...result });
      else {
        const range = `offsets ${result.firstOffset}..${result.firstOffset + result.records - 1}`;
        await ctx.out.line(`restored ${result.records} records, ${range} (${result.payloadBytes} payload bytes) of log ${result.logIdHex} into ${result.dir}`);
        if (result.firstOffset > 0) await ctx.out.line(`the stream starts at offset ${result.firstOffset}: the restored log starts there too (records below it were not shipped or were dropped by the stream's limits)`);
      }
      return Exit.changed;
    }));
  withStream(command.command('stat').argument('<dir>', 'log directory'))
    .description("how far the stream is behind the log: durable end, the stream's last offset, lag, the shipper's hold")
    .addHelpText('after', '\nExamples:\n  $ seglog jetstream stat ./data/log --servers 127.0.0.1:4222 --stream ORDERS --json')
    .action((dir: string, flags: StreamFlags) => run(flags, async (ctx) => {
      const { shipStatus } = await import('@seglog/jetstream');
      const status = await shipStatus({ dir, servers: servers(flags), stream: flags.stream, subject: flags.subject });
      if (ctx.out.format !== 'text') {
        await ctx.out.document({ tool: 'seglog jetstream stat', dir, ...status });
      } else {
        const age = status.oldestUnshippedAppendTimeMs === null ? '' : `, oldest appended ${new Date(status.oldestUnshippedAppendTimeMs).toISOString()}`;
        const lines = [
          `log            ${dir} (id ${status.logIdHex}), offsets ${status.firstOffset}..${status.durableOffset} durable`,
          `stream         ${status.stream} (subject ${status.subject}), last seq ${status.streamLastSeq}`,
          `shipped to     ${status.streamOffset ?? 'nothing yet'}`,
          `lag            ${status.lagRecords} records${age}`,
          `hold           ${status.holdOffset ?? 'none'}`,
        ];
        if (status.streamLogIdHex !== null) lines.push(`warning: the stream ends with records of another log (${status.streamLogIdHex})`);
        for (const line of lines) await ctx.out.line(line);
      }
      return status.streamLogIdHex === null ? Exit.clean : Exit.dataProblem;
    }));
}

async function shipUntilStopped(ctx: Context, dir: string, flags: ShipFlags): Promise<number> {
  const everySeconds = parseCount('--every', flags.every)!;
  const replicas = parseCount('--replicas', flags.replicas)!;
  const format = formatOf(flags);
  // Loaded when a jetstream command runs, so other commands never load the NATS client (program.ts).
  const { ship } = await import('@seglog/jetstream');
  const shipper = await ship({
    dir,
    servers: servers(flags),
    stream: flags.stream,
    subject: flags.subject,
    replicas,
    holdRetention: flags.hold,
    onBehind: flags.skipBehind === true ? 'skip' : 'fail',
    onSkip: ({ fromOffset, toOffset }) => ctx.out.warn(`records ${fromOffset}..${toOffset - 1} were dropped before they were shipped; skipped`),
  });
  ctx.out.note(`shipping ${dir} to stream ${shipper.stream} (subject ${shipper.subject}) from offset ${shipper.shippedOffset}; SIGINT stops`);
  const report = async (metrics: ShipperMetrics): Promise<void> => {
    if (format !== 'text') await ctx.out.object({ tool: 'seglog jetstream ship', dir, ...metrics });
    else await ctx.out.line(`${new Date().toISOString()} shipped to ${metrics.shippedOffset}, lag ${metrics.lagRecords} records / ${metrics.lagBytes} bytes / ${metrics.oldestUnshippedAgeMs} ms, ${metrics.state}${metrics.lastError === null ? '' : ` (last error: ${metrics.lastError})`}`);
  };
  const timer = everySeconds > 0 ? setInterval(() => void report(shipper.metrics()), everySeconds * 1000) : null;
  const stopped = new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  try {
    await Promise.race([stopped, shipper.stopped]);
  } finally {
    if (timer !== null) clearInterval(timer);
    await shipper.close();
    await report(shipper.metrics());
  }
  // SIGINT is how a ship ends: a clean stop, not a cancellation.
  return Exit.clean;
}
