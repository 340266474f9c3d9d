/**
 * One job: parse what `strace -f -C -y -o <file>` writes: one line per call, then a summary table.
 *
 * The summary counts every call, but `write` also carries libuv's thread-pool wake-ups (8-byte
 * writes to an eventfd, up to one per completed fs request) and stdout. With -y each call line
 * names its fd's target, so calls on real files can be told apart from those. The summary reads:
 *
 *   % time     seconds  usecs/call     calls    errors syscall
 *   ------ ----------- ----------- --------- --------- ----------------
 *    93.10    1.234567         123     10001           fdatasync
 *     6.90    0.091234           9     10003         2 write
 *   ------ ----------- ----------- --------- --------- ----------------
 *   100.00    1.325801          66     20004         2 total
 *
 * The errors column is blank when zero, so rows are read from the left (calls is always the fourth
 * number) and the syscall name from the right.
 */

export interface SyscallCount {
  readonly syscall: string;
  readonly calls: number;
  readonly errors: number;
  readonly seconds: number;
}

/** The summary table's header row; everything from it on is the summary. */
const summaryHeader = /^\s*% time\s+seconds/m;
/** `PID  name(FD<target>, ...`; a `<... name resumed>` line has no `name(` and is not matched. */
const callLine = /^(?:\d+\s+)?([a-z_][a-z0-9_]*)\((\d+)<([^>]*)>/;

export function splitStraceOutput(text: string): { readonly calls: string; readonly summary: string } {
  const match = summaryHeader.exec(text);
  if (match === null) return { calls: text, summary: '' };
  return { calls: text.slice(0, match.index), summary: text.slice(match.index) };
}

/** Calls per syscall whose fd is a file or directory on a file system (not a pipe, eventfd, socket or device). */
export function countFileCalls(callLines: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of callLines.split('\n')) {
    const match = callLine.exec(line);
    if (match === null) continue;
    const [, syscall = '', , target = ''] = match;
    if (!isFileTarget(target)) continue;
    counts.set(syscall, (counts.get(syscall) ?? 0) + 1);
  }
  return counts;
}

/** -y prints a path for files and `pipe:[…]`, `anon_inode:[eventfd]`, `socket:[…]` otherwise. */
function isFileTarget(target: string): boolean {
  return target.startsWith('/') && !target.startsWith('/dev/');
}

export function parseStraceSummary(text: string): SyscallCount[] {
  const counts: SyscallCount[] = [];
  for (const line of text.split('\n')) {
    const row = parseRow(line.trim());
    if (row !== null && row.syscall !== 'total') counts.push(row);
  }
  return counts;
}

function parseRow(line: string): SyscallCount | null {
  const tokens = line.split(/\s+/);
  // A data row: percent, seconds, usecs/call, calls, [errors], name. Headers and rules fail the number test.
  if (tokens.length < 5 || tokens.length > 6) return null;
  const [percent, seconds, , calls] = tokens;
  if (!isNumber(percent) || !isNumber(seconds) || !isNumber(calls)) return null;
  const syscall = tokens[tokens.length - 1] ?? '';
  if (!/^[a-z_][a-z0-9_]*$/.test(syscall)) return null;
  const errors = tokens.length === 6 ? Number(tokens[4]) : 0;
  return { syscall, calls: Number(calls), errors, seconds: Number(seconds) };
}

function isNumber(token: string | undefined): boolean {
  return token !== undefined && token !== '' && Number.isFinite(Number(token));
}
