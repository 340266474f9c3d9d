/**
 * One job: failures of the command itself (not of the log): a bad value, a directory that is not
 * a log. Each carries its exit bit and a code from the same vocabulary as `SeglogError`.
 */
import { ErrorCodes, isSeglogError } from '@seglog/types';
import { Exit } from './exit-codes.js';

export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
  }

  static usage(message: string): CliError {
    return new CliError('SEGLOG_USAGE', message, Exit.usage);
  }

  static notALog(dir: string, why: string): CliError {
    return new CliError('SEGLOG_NOT_A_LOG', `${dir} is not a seglog directory: ${why}`, Exit.operational);
  }
}

/** The exit bit and code for anything thrown out of a command. */
export function classify(error: unknown): { code: string; exitCode: number; message: string } {
  if (error instanceof CliError) return { code: error.code, exitCode: error.exitCode, message: error.message };
  if (isAbort(error)) return { code: 'SEGLOG_CANCELLED', exitCode: Exit.cancelled, message: 'cancelled' };
  if (isSeglogError(error)) {
    const usage = error.code === ErrorCodes.INVALID_OPTION || error.code === ErrorCodes.OUT_OF_RANGE;
    const exitCode = error.code === ErrorCodes.CORRUPT ? Exit.dataProblem : usage ? Exit.usage : Exit.operational;
    return { code: error.code, exitCode, message: error.message };
  }
  const errno = (error as NodeJS.ErrnoException | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'SEGLOG_IO', exitCode: Exit.operational, message: errno === undefined ? message : `${errno}: ${message}` };
}

export function isAbort(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'AbortError';
}
