/**
 * One job: the command's exit codes. They are bits that add up, as fsck(8)'s do: 5 means "changed
 * on disk, and a data problem is left". docs/cli.md lists them; tests cause each one for real.
 */
export const Exit = {
  clean: 0,
  /** Something was changed on disk (repair applied, index rebuilt, records salvaged). */
  changed: 1,
  /** Warnings only; no acknowledged record at risk (torn tail, stale or missing index). */
  warnings: 2,
  /** A data problem is left (mid-log damage, a gap, a missing segment, lost acknowledged records). */
  dataProblem: 4,
  /** Operational error: I/O, the lock is held, not a seglog directory, a newer format. */
  operational: 8,
  /** Usage error: a bad flag or value. */
  usage: 16,
  /** Cancelled (SIGINT); nothing was modified past a step that is safe to stop at. */
  cancelled: 32,
} as const;

/** The `status` word of a JSON report for a set of exit bits. */
export function statusOf(exitCode: number): 'clean' | 'changed' | 'warnings' | 'corrupt' | 'error' | 'cancelled' {
  if (exitCode & Exit.cancelled) return 'cancelled';
  if (exitCode & (Exit.operational | Exit.usage)) return 'error';
  if (exitCode & Exit.dataProblem) return 'corrupt';
  if (exitCode & Exit.warnings) return 'warnings';
  if (exitCode & Exit.changed) return 'changed';
  return 'clean';
}
