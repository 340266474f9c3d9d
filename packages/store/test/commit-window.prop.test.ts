import test from 'ava';
import fc from 'fast-check';
import { Prng, propertyRuns, withReplay } from '@seglog/testkit';
import { limits } from '@seglog/types';
import { initialWindowState, nextWindow } from '../src/commit-window.js';

const BETA = limits.windowFlushFraction;
const CAP_FRACTION = limits.windowCapFlushFraction;
const ENGAGE_LOAD = limits.windowEngageLoadRatio;
const RELEASE_LOAD = limits.windowReleaseLoadRatio;
import type { WindowObservation, WindowState } from '../src/commit-window.js';

const config = { maxMicros: 2000 };

/** Feeds `count` observations built by `make(i)` and returns every state. */
function drive(
  count: number,
  make: (i: number) => WindowObservation,
  start: WindowState = initialWindowState,
): WindowState[] {
  const states: WindowState[] = [];
  let state = start;
  for (let i = 0; i < count; i++) {
    state = nextWindow(state, make(i), config);
    states.push(state);
  }
  return states;
}

/** Direction changes of the window over a run: an oscillating controller has many. */
function reversals(states: readonly WindowState[]): number {
  let count = 0;
  let direction = 0;
  for (let i = 1; i < states.length; i++) {
    const delta = states[i]!.windowMicros - states[i - 1]!.windowMicros;
    if (Math.abs(delta) < 1e-9) continue;
    const sign = Math.sign(delta);
    if (direction !== 0 && sign !== direction) count++;
    direction = sign;
  }
  return count;
}

test('a lone appender (no independent arrivals) never gets a window', (t) => {
  const states = drive(500, () => ({ flushMicros: 400, independentArrivals: 0, elapsedMicros: 420 }));
  t.true(states.every((state) => state.windowMicros === 0));
});

test('light load (well under one arrival per flush) stays at 0', (t) => {
  // 100 arrivals/s against a 500 µs flush: load 0.05.
  const states = drive(500, () => ({ flushMicros: 500, independentArrivals: 1, elapsedMicros: 10_000 }));
  t.is(states.at(-1)!.windowMicros, 0);
  t.false(states.at(-1)!.engaged);
});

test('steady moderate load converges to BETA x flush without overshoot', (t) => {
  // 4 independent arrivals per 500 µs batch: load 4.
  const states = drive(200, () => ({ flushMicros: 500, independentArrivals: 4, elapsedMicros: 500 }));
  const last = states.at(-1)!;
  t.true(last.engaged);
  t.true(Math.abs(last.windowMicros - BETA * 500) < 0.5, `window ${last.windowMicros}`);
  t.true(states.every((state) => state.windowMicros <= BETA * 500 + 1e-9), 'approaches from below, never overshoots');
  t.is(reversals(states), 0);
});

test('a step change in flush latency moves the window monotonically to the new target', (t) => {
  const before = drive(200, () => ({ flushMicros: 500, independentArrivals: 4, elapsedMicros: 500 }));
  const after = drive(200, () => ({ flushMicros: 2000, independentArrivals: 16, elapsedMicros: 2000 }), before.at(-1));
  t.true(Math.abs(after.at(-1)!.windowMicros - BETA * 2000) < 1, `window ${after.at(-1)!.windowMicros}`);
  t.is(reversals(after), 0);
  const steps = [before.at(-1)!, ...after].map((state) => state.windowMicros);
  for (let i = 1; i < steps.length; i++) t.true(steps[i]! - steps[i - 1]! < 0.35 * BETA * 2000, 'no big jumps');
});

test('a single flush spike moves the window only a little', (t) => {
  const steady = drive(200, () => ({ flushMicros: 500, independentArrivals: 4, elapsedMicros: 500 }));
  const spike = { flushMicros: 50_000, independentArrivals: 400, elapsedMicros: 50_000 };
  const spiked = nextWindow(steady.at(-1)!, spike, config);
  t.true(spiked.windowMicros <= CAP_FRACTION * spiked.flushEstimateMicros);
  t.true(spiked.windowMicros < 1.5 * BETA * 500, `window ${spiked.windowMicros} stays near ${BETA * 500}`);
});

test('isolated flush stalls do not make a light load look heavy enough to wait', (t) => {
  // 200 independent appends/s against a 1.2 ms flush (load 0.24, below ENGAGE_LOAD), with one
  // flush in five stalling at 10 ms: a mean-based estimate would read about 3 ms (load 0.6).
  const states = drive(300, (i) => ({
    flushMicros: i % 5 === 4 ? 10_000 : 1200,
    independentArrivals: 1,
    elapsedMicros: 5000,
  }));
  t.true(states.every((state) => !state.engaged));
  t.true(states.every((state) => state.windowMicros === 0));
});

test('load dwelling between the release and engage thresholds does not flap', (t) => {
  // Loads alternating at 30% and 70% of the way from RELEASE_LOAD to ENGAGE_LOAD: inside the
  // hysteresis band, so whichever state the controller starts in, it stays there.
  const low = RELEASE_LOAD + 0.3 * (ENGAGE_LOAD - RELEASE_LOAD);
  const high = RELEASE_LOAD + 0.7 * (ENGAGE_LOAD - RELEASE_LOAD);
  const observe = (i: number): WindowObservation => ({
    flushMicros: 1000,
    independentArrivals: 10,
    elapsedMicros: (10 * 1000) / (i % 2 === 0 ? low : high),
  });
  const off = drive(100, observe);
  t.true(off.every((state) => !state.engaged));
  const on = drive(100, observe, {
    ...initialWindowState,
    engaged: true,
    flushEstimateMicros: 1000,
    arrivalsPerMicro: high / 1000,
  });
  t.true(on.every((state) => state.engaged));
});

test('property: the window stays within [0, min(maxMicros, half the smoothed flush)] under noisy telemetry', (t) => {
  const runs = propertyRuns(100);
  t.notThrows(() => withReplay(runs.seed, () => fc.assert(
    fc.property(
      fc.array(
        fc.record({
          flushMicros: fc.double({ min: 0, max: 200_000, noNaN: true }),
          independentArrivals: fc.nat(10_000),
          elapsedMicros: fc.double({ min: 1, max: 1e6, noNaN: true }),
        }),
        { minLength: 1, maxLength: 300 },
      ),
      fc.integer({ min: 0, max: 100_000 }),
      (observations, maxMicros) => {
        let state = initialWindowState;
        for (const observation of observations) {
          state = nextWindow(state, observation, { maxMicros });
          if (!(state.windowMicros >= 0)) return false;
          if (state.windowMicros > maxMicros + 1e-9) return false;
          if (state.windowMicros > CAP_FRACTION * state.flushEstimateMicros + 1e-9) return false;
        }
        return true;
      },
    ),
    runs,
  )));
});

test('property: noisy but stationary telemetry converges without sustained oscillation', (t) => {
  const runs = propertyRuns(50);
  t.notThrows(() => withReplay(runs.seed, () => fc.assert(
    fc.property(fc.integer({ min: 1, max: 0xffffffff }), (seed) => {
      const prng = new Prng(seed);
      const noise = (): number => 0.8 + 0.4 * prng.float();
      const states = drive(400, () => ({
        flushMicros: 800 * noise(),
        independentArrivals: Math.round(8 * noise()),
        elapsedMicros: 800,
      }));
      const tail = states.slice(200).map((state) => state.windowMicros);
      const spread = Math.max(...tail) - Math.min(...tail);
      return spread < 0.4 * BETA * 800;
    }),
    runs,
  )));
});
