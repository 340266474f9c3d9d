/** Test helpers: a fresh simulated disk with a durable /data directory. */
import { SimFileIO } from '@seglog/testkit';

export async function freshSim(seed: number): Promise<SimFileIO> {
  const sim = new SimFileIO({ seed });
  await sim.mkdirp('/data');
  await sim.syncDir('/');
  return sim;
}

/** A machine that sums numbers: the smallest deterministic state machine. */
export class SumMachine {
  total = 0;
  records = 0;
  apply(commands: readonly number[]): number {
    for (const value of commands) this.total += value;
    this.records++;
    return this.total;
  }
  encodeCommands(commands: readonly number[]): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(commands));
  }
  decodeCommands(bytes: Uint8Array): number[] {
    return JSON.parse(new TextDecoder().decode(bytes)) as number[];
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify({ total: this.total, records: this.records }));
  }
  restore(body: Uint8Array): void {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as { total: number; records: number };
    this.total = parsed.total;
    this.records = parsed.records;
  }
}
