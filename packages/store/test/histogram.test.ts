import test from 'ava';
import { Prng } from '@seglog/testkit';
import { Histogram, bucketOf, bucketOfLarge } from '../src/histogram.js';
import { SlidingHistogram } from '../src/sliding-histogram.js';

test('the integer fast path of bucketOf agrees with the general formula', (t) => {
  const prng = new Prng(7);
  const values: number[] = [];
  for (let exponent = 5; exponent < 31; exponent++) {
    const power = 2 ** exponent;
    values.push(power - 1, power, power + 1, power + 0.5, power - 0.25);
  }
  for (let i = 0; i < 20_000; i++) values.push(prng.float() * 2 ** (5 + 26 * prng.float()));
  let mismatches = 0;
  for (const value of values) {
    if (value >= 32 && value < 2 ** 31 && bucketOf(value) !== bucketOfLarge(value)) mismatches++;
  }
  t.is(mismatches, 0);
  t.is(bucketOf(2 ** 40), bucketOfLarge(2 ** 40), 'values past the fast path take the general formula');
  t.is(bucketOf(-3), 0);
  t.is(bucketOf(31.9), 31);
});

test('a histogram reports percentiles within its stated 3% error', (t) => {
  const histogram = new Histogram();
  for (let value = 1; value <= 100_000; value++) histogram.record(value);
  const summary = histogram.summary();
  t.is(summary.count, 100_000);
  t.is(summary.min, 1);
  t.is(summary.max, 100_000);
  t.true(Math.abs(summary.p50 - 50_000) / 50_000 < 0.03, `p50 ${summary.p50}`);
  t.true(Math.abs(summary.p99 - 99_000) / 99_000 < 0.03, `p99 ${summary.p99}`);
});

test('a sliding histogram keeps the recent interval and, from the same records, the total', (t) => {
  const intervalMicros = 1_000_000;
  const sliding = new SlidingHistogram(intervalMicros);
  // 10 s of one value per 10 ms: 1,000 values, of which the last interval holds 100 or fewer.
  for (let now = 0; now < 10_000_000; now += 10_000) sliding.record(now / 10_000, now);
  const now = 10_000_000;
  t.is(sliding.total().count, 1_000, 'the total keeps values of slots that were reused');
  t.is(sliding.total().summary().max, 999);
  t.is(sliding.total().summary().min, 0);
  const recent = sliding.summary(now);
  t.true(recent.count >= 80 && recent.count <= 100, `recent count ${recent.count}`);
  t.true(recent.min >= 900, `recent min ${recent.min}`);
  t.is(sliding.summary(now + 2 * intervalMicros).count, 0, 'nothing is recent after a quiet interval');
  t.is(sliding.total().count, 1_000, 'the total does not age');
});
