/**
 * One job: the engines of the suite by name, and running one cell on one of them in this process.
 */
import type { CellOptions, CellResult, EngineDefinition, EngineName } from '../lib/cell.js';
import { runCellOn } from '../lib/run-cell.js';
import { levelEngine } from './level.js';
import { lmdbEngine, lmdbOverlapEngine } from './lmdb.js';
import { natsEngine } from './nats.js';
import { plainEngine } from './plain-fdatasync.js';
import { redisEngine } from './redis.js';
import { seglogEngine } from './seglog.js';
import { sqliteEngine } from './sqlite.js';

export const engines: Record<EngineName, EngineDefinition> = {
  seglog: seglogEngine,
  'plain-fdatasync': plainEngine,
  sqlite: sqliteEngine,
  lmdb: lmdbEngine,
  'lmdb-overlap': lmdbOverlapEngine,
  level: levelEngine,
  redis: redisEngine,
  nats: natsEngine,
};

export function runCell(engine: EngineName, options: CellOptions): Promise<CellResult> {
  return runCellOn(engines[engine], options);
}
