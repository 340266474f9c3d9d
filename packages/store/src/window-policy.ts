/**
 * One job: hold the commit window the group commit applies, fixed or adaptive, and feed the
 * adaptive controller (commit-window.ts) what each durable batch taught us. It also counts
 * independent arrivals: appends that did not come in the turn an acknowledgement resumed them.
 */
import { limits } from '@seglog/types';
import type { CommitWindowState } from '@seglog/types';
import { initialWindowState, nextWindow } from './commit-window.js';
import type { WindowState } from './commit-window.js';

export type WindowMode = { readonly kind: 'fixed'; readonly micros: number } | { readonly kind: 'adaptive'; readonly maxMicros: number };

export class WindowPolicy {
  readonly #mode: WindowMode;
  #state: WindowState = initialWindowState;
  #independentArrivals = 0;
  #lastObservationMicros: number;
  /** True from an acknowledgement until the next turn of the event loop. */
  #inAckTurn = false;

  constructor(mode: WindowMode, nowMicros: number) {
    this.#mode = mode;
    this.#lastObservationMicros = nowMicros;
  }

  get windowMicros(): number {
    return this.#mode.kind === 'fixed' ? this.#mode.micros : this.#state.windowMicros;
  }

  /** Called for every submit. */
  noteArrival(): void {
    if (!this.#inAckTurn) this.#independentArrivals++;
  }

  /** Called when a batch's appends resolve; their callers' next appends come in this turn. */
  noteAcknowledged(): void {
    if (this.#inAckTurn) return;
    this.#inAckTurn = true;
    setImmediate(() => {
      this.#inAckTurn = false;
    });
  }

  /** Called once per durable batch; feeds the controller once per `limits.arrivalRatePeriodMicros` at most. */
  observe(flushMicros: number, nowMicros: number): void {
    if (this.#mode.kind !== 'adaptive') return;
    const elapsedMicros = nowMicros - this.#lastObservationMicros;
    if (elapsedMicros < limits.arrivalRatePeriodMicros) return;
    const observation = { flushMicros, independentArrivals: this.#independentArrivals, elapsedMicros };
    this.#state = nextWindow(this.#state, observation, { maxMicros: this.#mode.maxMicros });
    this.#independentArrivals = 0;
    this.#lastObservationMicros = nowMicros;
  }

  snapshot(): CommitWindowState {
    const fixed = this.#mode.kind === 'fixed';
    return {
      mode: this.#mode.kind,
      micros: this.windowMicros,
      capMicros: fixed ? this.windowMicros : this.#state.capMicros,
      flushEstimateMicros: this.#state.flushEstimateMicros,
      independentArrivalsPerSecond: this.#state.arrivalsPerMicro * 1e6,
    };
  }
}
