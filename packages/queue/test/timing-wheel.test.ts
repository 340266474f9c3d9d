import test from 'ava';
import fc from 'fast-check';
import { TimingWheel } from '../src/machine/index.js';

test('a timer fires at its tick, never early, and once', (t) => {
  const wheel = new TimingWheel<string>({ tickMs: 10, slotCount: 8, startMs: 0 });
  wheel.schedule('a', 25);
  t.deepEqual(wheel.advance(20), []);
  t.deepEqual(wheel.advance(30), ['a']);
  t.deepEqual(wheel.advance(40), []);
  t.is(wheel.size, 0);
});

test('cancel is O(1) and a cancelled timer never fires', (t) => {
  const wheel = new TimingWheel<number>({ tickMs: 1, slotCount: 4, startMs: 0 });
  const timer = wheel.schedule(1, 3);
  wheel.schedule(2, 3);
  t.true(wheel.cancel(timer));
  t.false(wheel.cancel(timer));
  t.deepEqual(wheel.advance(10), [2]);
});

test('timers many turns ahead wait for their turn; a long gap fires everything due in tick order', (t) => {
  const wheel = new TimingWheel<number>({ tickMs: 10, slotCount: 4, startMs: 0 });
  wheel.schedule(3, 1000);
  wheel.schedule(1, 15);
  wheel.schedule(2, 95);
  t.deepEqual(wheel.advance(50), [1]);
  t.deepEqual(wheel.advance(999), [2]);
  t.deepEqual(wheel.advance(100_000), [3]);
});

test('a timer due in the past fires at the next advance', (t) => {
  const wheel = new TimingWheel<string>({ tickMs: 10, startMs: 1000 });
  wheel.schedule('late', 5);
  t.deepEqual(wheel.advance(1010), ['late']);
});

test('bad options are coded errors', (t) => {
  t.throws(() => new TimingWheel({ tickMs: 0, startMs: 0 }), { message: /SEGLOG_INVALID_OPTION/ });
  t.throws(() => new TimingWheel({ slotCount: 1.5, startMs: 0 }), { message: /SEGLOG_INVALID_OPTION/ });
});

test('property: against a sorted-list model, every live timer fires exactly once, at or after its due time, within one tick', (t) => {
  t.notThrows(() => fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 16 }),
      fc.array(fc.oneof(
        fc.record({ op: fc.constant('schedule' as const), dueMs: fc.integer({ min: 0, max: 2000 }) }),
        fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }),
        fc.record({ op: fc.constant('advance' as const), byMs: fc.integer({ min: 0, max: 300 }) }),
      ), { maxLength: 80 }),
      (tickMs, slotCount, ops) => {
        const wheel = new TimingWheel<number>({ tickMs, slotCount, startMs: 0 });
        const live = new Map<number, { dueMs: number; timer: ReturnType<typeof wheel.schedule> }>();
        let now = 0;
        let id = 0;
        const check = (fired: number[]): void => {
          for (const value of fired) {
            const entry = live.get(value);
            if (entry === undefined) throw new Error(`timer ${value} fired twice or after cancel`);
            if (entry.dueMs > now) throw new Error(`timer ${value} fired early`);
            live.delete(value);
          }
          for (const [value, entry] of live) if (entry.dueMs + tickMs <= now - (now % tickMs)) throw new Error(`timer ${value} due ${entry.dueMs} missed at ${now}`);
        };
        for (const op of ops) {
          if (op.op === 'schedule') {
            const dueMs = now + op.dueMs;
            live.set(id, { dueMs, timer: wheel.schedule(id, dueMs) });
            id++;
          } else if (op.op === 'cancel') {
            const keys = [...live.keys()];
            if (keys.length === 0) continue;
            const key = keys[op.pick % keys.length]!;
            if (!wheel.cancel(live.get(key)!.timer)) throw new Error('cancel of a live timer failed');
            live.delete(key);
          } else {
            now += op.byMs;
            check(wheel.advance(now));
          }
          if (wheel.size !== live.size) throw new Error(`size ${wheel.size} != ${live.size}`);
        }
        now += 3000;
        check(wheel.advance(now));
        return live.size === 0;
      },
    ),
    { numRuns: 300 },
  ));
});
