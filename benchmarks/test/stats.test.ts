import test from 'ava';
import { median, percentile, ratio, rotate, spreadOf, spreadPercent } from '../src/report/stats.js';

test('median of odd and even counts, whatever the order', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.is(median([7]), 7);
  t.throws(() => median([]), { instanceOf: RangeError });
});

test('spread is the range around the median, as a percentage of it', (t) => {
  const spread = spreadOf([90, 100, 120]);
  t.deepEqual(spread, { median: 100, min: 90, max: 120, samples: 3 });
  t.is(spreadPercent(spread!), 30);
  t.is(spreadPercent(spreadOf([5])!), 0);
  t.is(spreadPercent({ median: 0, min: 0, max: 3, samples: 2 }), 0, 'a zero median has no relative spread');
  t.is(spreadOf([]), null);
});

test('percentiles are nearest-rank over the sorted sample', (t) => {
  const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  t.is(percentile(hundred, 50), 50);
  t.is(percentile(hundred, 99), 99);
  t.is(percentile(hundred, 99.9), 100);
  t.is(percentile(hundred, 100), 100);
  t.is(percentile(hundred, 0), 1, 'p0 is the smallest value');
  t.is(percentile([10, 20, 30], 50), 20);
  t.is(percentile([10, 20, 30, 40], 50), 20, 'the lower middle: at least half the sample is at or below it');
  t.is(percentile([], 99), 0);
  t.throws(() => percentile([1], 101), { instanceOf: RangeError });
});

test('a ratio with a missing or zero side is null, not Infinity', (t) => {
  t.is(ratio(30, 10), 3);
  t.is(ratio(30, 0), null);
  t.is(ratio(undefined, 10), null);
  t.is(ratio(30, null), null);
});

test('rotation puts every variant first once per cycle', (t) => {
  t.deepEqual(rotate(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
  t.deepEqual(rotate(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
  t.deepEqual(rotate(['a', 'b', 'c'], 5), ['c', 'a', 'b']);
  t.deepEqual(rotate([], 3), []);
});
