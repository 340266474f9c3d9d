/**
 * One job: read the benchmark commands' flags into numbers and lists, with coded errors that name
 * the flag. main.ts prints the command's usage after any of them.
 */
import { SeglogError } from '@seglog/types';

/** `pnpm bench -- --quick` passes the separator through; it is not an argument. */
export function withoutSeparator(argv: readonly string[]): string[] {
  return argv.filter((arg) => arg !== '--');
}

export function positiveNumber(text: string | undefined, flag: string, fallback?: number): number {
  if (text === undefined && fallback !== undefined) return fallback;
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value) || value <= 0) throw SeglogError.invalidOption(flag, `must be a positive number, got ${String(text)}`);
  return value;
}

export function positiveInteger(text: string | undefined, flag: string, fallback?: number): number {
  const value = positiveNumber(text, flag, fallback);
  if (!Number.isInteger(value)) throw SeglogError.invalidOption(flag, `must be an integer, got ${String(text)}`);
  return value;
}

export function nonNegativeInteger(text: string | undefined, flag: string, fallback?: number): number {
  if (text === undefined && fallback !== undefined) return fallback;
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < 0) throw SeglogError.invalidOption(flag, `must be a non-negative integer, got ${String(text)}`);
  return value;
}

/** A comma-separated list whose every item is one of `allowed`; null when the flag is absent. */
export function listOf<T extends string>(text: string | undefined, allowed: readonly T[], flag: string): T[] | null {
  if (text === undefined) return null;
  const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw SeglogError.invalidOption(flag, `unknown "${item}" (one of ${allowed.join(', ')})`);
  }
  return items as T[];
}

export interface CellShape {
  readonly concurrency: number;
  readonly recordBytes: number;
}

/** `1x128,256x65536`: appenders x record bytes, comma-separated. */
export function parseCells(text: string, flag = '--cells'): CellShape[] {
  return text.split(',').map((cell) => {
    const [concurrency, recordBytes] = cell.split('x').map(Number);
    const whole = (value: number | undefined): value is number => Number.isInteger(value) && value! > 0;
    if (!whole(concurrency) || !whole(recordBytes)) {
      throw SeglogError.invalidOption(flag, `bad cell "${cell}" (want APPENDERSxBYTES)`);
    }
    return { concurrency, recordBytes };
  });
}
