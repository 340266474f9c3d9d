/**
 * One job: the progress display: what is running, what is done, and how long the rest should take.
 *
 * Each step has an estimated cost in seconds (its warm-up + window + process start-up); the time
 * left is the estimated cost of the steps left, scaled by how the finished steps compared with
 * their estimates. On a terminal the running step is shown on a line that the next result
 * overwrites; in a log (not a TTY) every finished step is one line.
 */
import type { CellResult } from '../lib/cell.js';
import { describeWorkload } from '../lib/workload.js';
import type { CellSpec } from './plan.js';

export class Progress {
  readonly #out = process.stderr;
  readonly #tty = process.stderr.isTTY === true;
  readonly #startedMillis = Date.now();
  #totalCost = 0;
  #doneCost = 0;
  #doneSteps = 0;
  #totalSteps = 0;
  #current: { label: string; cost: number } | null = null;

  /** Adds `steps` steps of `costSeconds` each to the plan. */
  plan(steps: number, costSeconds: number): void {
    this.#totalSteps += steps;
    this.#totalCost += steps * costSeconds;
  }

  estimatedTotalSeconds(): number {
    return this.#totalCost;
  }

  describe(cell: CellSpec): string {
    return `${describeWorkload(cell.workload)} x ${cell.concurrency} appenders · ${cell.engine}`;
  }

  summarize(result: CellResult): string {
    const rate = Math.round(result.appendsPerSecond).toLocaleString('en-US');
    return `${rate} appends/s, p99 ${Math.round(result.latencyMicros.p99).toLocaleString('en-US')} µs`;
  }

  /** A step starts; `costSeconds` is the estimate it was planned with. */
  start(label: string, costSeconds: number): void {
    this.#current = { label, cost: costSeconds };
    if (this.#tty) this.#out.write(`\r\x1b[K${this.#prefix()} running: ${label}`);
  }

  done(outcome: string): void {
    const current = this.#current;
    this.#current = null;
    this.#doneSteps += 1;
    this.#doneCost += current?.cost ?? 0;
    const line = `${this.#prefix()} ${current?.label ?? ''}: ${outcome}`;
    this.#out.write(this.#tty ? `\r\x1b[K${line}\n` : `${line}\n`);
  }

  note(text: string): void {
    this.#out.write(this.#tty ? `\r\x1b[K${text}\n` : `${text}\n`);
  }

  #prefix(): string {
    const elapsedSeconds = (Date.now() - this.#startedMillis) / 1000;
    const pace = this.#doneCost > 0 ? elapsedSeconds / this.#doneCost : 1;
    const leftSeconds = Math.max(0, (this.#totalCost - this.#doneCost) * pace);
    return `[${this.#doneSteps}/${this.#totalSteps} · ${formatDuration(elapsedSeconds)} elapsed · ~${formatDuration(leftSeconds)} left]`;
  }
}

export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return minutes > 0 ? `${minutes}m${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}
