import test from 'ava';
import { Prng, seedFromEnv } from '../src/index.js';

function draws(prng: Prng, count: number): number[] {
  return Array.from({ length: count }, () => prng.nextU32());
}

test('the same seed replays the same sequence, across versions of this file', (t) => {
  t.deepEqual(draws(new Prng(1), 3), [2420951833, 2513034076, 3847892949]);
  t.deepEqual(draws(new Prng(99), 50), draws(new Prng(99), 50));
});

test('nearby seeds give unrelated sequences', (t) => {
  const first = draws(new Prng(1000), 20);
  const second = draws(new Prng(1001), 20);
  t.is(first.filter((value, index) => value === second[index]).length, 0);
});

test('int stays in [lo, hiExclusive) and reaches every value about evenly', (t) => {
  const prng = new Prng(7);
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 20_000; i++) {
    const value = prng.int(-3, 7);
    t.true(value >= -3 && value < 7 && Number.isInteger(value));
    counts[value + 3]!++;
  }
  t.true(counts.every((count) => count > 1_700 && count < 2_300), `counts ${counts.join(',')}`);
});

test('float is in [0, 1); bool honours its probability at the ends', (t) => {
  const prng = new Prng(3);
  for (let i = 0; i < 1_000; i++) {
    const value = prng.float();
    t.true(value >= 0 && value < 1);
  }
  t.false(prng.bool(0));
  t.true(prng.bool(1));
  const heads = Array.from({ length: 2_000 }, () => prng.bool(0.25)).filter(Boolean).length;
  t.true(heads > 400 && heads < 600, `heads ${heads}`);
});

test('bytes has the asked length, replays by seed, and varies', (t) => {
  const bytes = new Prng(5).bytes(37);
  t.is(bytes.length, 37);
  t.deepEqual(bytes, new Prng(5).bytes(37));
  t.true(new Set(bytes).size > 20);
  t.is(new Prng(5).bytes(0).length, 0);
});

test('pick returns elements of the array and fork gives a separate stream', (t) => {
  const prng = new Prng(11);
  const items = ['a', 'b', 'c'] as const;
  const seen = new Set(Array.from({ length: 100 }, () => prng.pick(items)));
  t.deepEqual([...seen].sort(), ['a', 'b', 'c']);
  const fork = new Prng(12).fork();
  t.notDeepEqual(draws(fork, 5), draws(new Prng(12), 5));
});

test('misuse is a TypeError', (t) => {
  t.throws(() => new Prng(-1), { instanceOf: TypeError });
  t.throws(() => new Prng(2 ** 32), { instanceOf: TypeError });
  t.throws(() => new Prng(1.5), { instanceOf: TypeError });
  t.throws(() => new Prng(1).int(3, 3), { instanceOf: TypeError });
  t.throws(() => new Prng(1).pick([]), { instanceOf: TypeError });
  t.throws(() => new Prng(1).bool(2), { instanceOf: TypeError });
});

test('seedFromEnv reads SEGLOG_SEED in decimal or hex, else the default', (t) => {
  t.is(seedFromEnv(42, {}), 42);
  t.is(seedFromEnv(42, { SEGLOG_SEED: '' }), 42);
  t.is(seedFromEnv(42, { SEGLOG_SEED: '1234' }), 1234);
  t.is(seedFromEnv(42, { SEGLOG_SEED: '0xff' }), 255);
  t.is(seedFromEnv(42, { SEGLOG_SEED: ' 4294967295 ' }), 4294967295);
  t.throws(() => seedFromEnv(42, { SEGLOG_SEED: '4294967296' }), { instanceOf: TypeError });
  t.throws(() => seedFromEnv(42, { SEGLOG_SEED: 'seven' }), { instanceOf: TypeError });
  t.throws(() => seedFromEnv(42, { SEGLOG_SEED: '-1' }), { instanceOf: TypeError });
});
