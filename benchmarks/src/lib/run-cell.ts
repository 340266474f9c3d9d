/**
 * One job: run one cell on one engine in this process: open, drive, measure, close.
 */
import { driveAppenders } from './drive.js';
import type { CellOptions, CellResult, EngineDefinition } from './cell.js';
import { CostProbe } from './window-probe.js';

export async function runCellOn(definition: EngineDefinition, options: CellOptions): Promise<CellResult> {
  const engine = await definition.open(options.dir);
  const probe = new CostProbe(options.dir, () => engine.serverPids);
  let drive;
  try {
    drive = await driveAppenders(engine, { ...options, probe });
  } catch (error) {
    // Close so the directory can be removed, but report the append's error, not close's.
    await engine.close().catch(() => undefined);
    throw error;
  }
  // Every appender has drained by now, so these cover every append the cell made; they are read
  // before close because a closed engine need not answer.
  const totals = engine.counters();
  const flushMicros = engine.flushMicros?.();
  const detail = engine.detail?.();
  await engine.close();
  const cost = probe.result();
  const windowFlushes = drive.windowFlushes;
  const result: CellResult = {
    ...drive,
    engine: definition.info.name,
    durable: definition.info.durable,
    workload: options.workload ?? { kind: 'uniform', recordBytes: options.recordBytes },
    recordBytes: options.recordBytes,
    concurrency: options.concurrency,
    appendsPerFlush: windowFlushes === null || windowFlushes === 0 ? null : drive.windowAppends / windowFlushes,
    totalAppends: totals.appends,
    totalFlushes: totals.flushes,
    cpuMicrosPerAppend: drive.appends === 0 ? 0 : (cost.selfCpuMicros + cost.serverCpuMicros) / drive.appends,
    cost,
    deviceBytesPerPayloadByte: cost.device === null || drive.payloadBytes === 0 ? null : cost.device.writeBytes / drive.payloadBytes,
  };
  return { ...result, ...(flushMicros === undefined ? {} : { flushMicros }), ...(detail === undefined ? {} : { detail }) };
}
