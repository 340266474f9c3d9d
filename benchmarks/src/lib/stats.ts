/** One job: the small statistics and argument shapes the benchmark scripts share. */

/** The median; for an even count, the mean of the middle two. Empty input is a caller's error. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface CellShape {
  readonly concurrency: number;
  readonly recordBytes: number;
}

/** `1x128,256x65536`: appenders x record bytes, comma-separated. */
export function parseCells(text: string, flag = '--cells'): CellShape[] {
  return text.split(',').map((cell) => {
    const [concurrency, recordBytes] = cell.split('x').map(Number);
    if (!(concurrency! > 0) || !(recordBytes! > 0)) throw new TypeError(`${flag}: bad cell "${cell}" (want APPENDERSxBYTES)`);
    return { concurrency: concurrency!, recordBytes: recordBytes! };
  });
}
