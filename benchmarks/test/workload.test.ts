import test from 'ava';
import { arrivalRate, describeWorkload, nextArrivalGapSeconds, nominalRecordBytes } from '../src/lib/workload.js';

test('open-loop schedules give the rate at each moment of the run', (t) => {
  t.is(arrivalRate({ kind: 'steady', perSecond: 3000 }, 1.7, 4), 3000);
  const burst = { kind: 'on-off', perSecond: 8000, onMillis: 200, periodMillis: 500 } as const;
  t.is(arrivalRate(burst, 0.1, 4), 8000);
  t.is(arrivalRate(burst, 0.3, 4), 0);
  t.is(arrivalRate(burst, 0.6, 4), 8000, 'the next period starts on again');
  const ramp = { kind: 'ramp', peakPerSecond: 10_000 } as const;
  t.is(arrivalRate(ramp, 0, 4), 0);
  t.is(arrivalRate(ramp, 1, 4), 5000);
  t.is(arrivalRate(ramp, 2, 4), 10_000);
  t.is(arrivalRate(ramp, 3, 4), 5000);
  t.is(arrivalRate(ramp, 5, 4), 0, 'never negative past the end');
});

test('arrival gaps are exponential at the rate, and a silent schedule steps a millisecond', (t) => {
  t.is(nextArrivalGapSeconds(1000, 0), 0);
  t.true(Math.abs(nextArrivalGapSeconds(1000, 1 - Math.exp(-1)) - 0.001) < 1e-12, 'the mean gap sits at the 63rd percentile');
  t.is(nextArrivalGapSeconds(0, 0.5), 0.001);
});

test('workloads name themselves and their nominal record size', (t) => {
  const open = { kind: 'open', recordBytes: 128, rate: { kind: 'steady', perSecond: 1000 } } as const;
  t.is(describeWorkload(open), 'open 1000/s x 128 B');
  t.is(nominalRecordBytes(open), 128);
  t.is(describeWorkload({ kind: 'batch', recordBytes: 1024, batchRecords: 16 }), 'appendMany 16 x 1 KiB');
  const mixed = { kind: 'mixed', smallBytes: 128, largeBytes: 65536, largeEveryRecords: 50, burstRecords: 32, pauseMaxMillis: 5 } as const;
  t.is(describeWorkload(mixed), 'mixed 128 B + 1/50 x 64 KiB');
  t.is(nominalRecordBytes(mixed), 128);
});
