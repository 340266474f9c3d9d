/**
 * One job: map an engine name to the function that runs one cell on it.
 */
import type { CellOptions, CellResult, EngineName } from '../lib/cell.js';
import { runPlainCell } from './plain-fdatasync.js';
import { runSeglogCell } from './seglog.js';

const runners: Record<EngineName, (options: CellOptions) => Promise<CellResult>> = {
  seglog: runSeglogCell,
  'plain-fdatasync': runPlainCell,
};

export function runCell(engine: EngineName, options: CellOptions): Promise<CellResult> {
  return runners[engine](options);
}
