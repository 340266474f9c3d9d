import test from 'ava';
import { isSeglogError } from '@seglog/types';
import { listOf, nonNegativeInteger, parseCells, positiveInteger, positiveNumber, withoutSeparator } from '../src/lib/args.js';

test('cells parse as appenders x record bytes, and bad ones name the flag with a code', (t) => {
  t.deepEqual(parseCells('1x128,256x65536'), [
    { concurrency: 1, recordBytes: 128 },
    { concurrency: 256, recordBytes: 65536 },
  ]);
  const error = t.throws(() => parseCells('16x', '--cells'));
  t.true(isSeglogError(error, 'SEGLOG_INVALID_OPTION'));
  t.regex(error.message, /--cells .*bad cell "16x"/);
  t.throws(() => parseCells('0x128'));
  t.throws(() => parseCells('1.5x128'));
});

test('numbers fall back only when the flag is absent, and a bad value is a coded error', (t) => {
  t.is(positiveNumber(undefined, '--seconds', 3), 3);
  t.is(positiveNumber('0.5', '--seconds', 3), 0.5);
  t.true(isSeglogError(t.throws(() => positiveNumber('0', '--seconds', 3)), 'SEGLOG_INVALID_OPTION'));
  t.throws(() => positiveNumber('abc', '--seconds'), { message: /--seconds/ });
  t.throws(() => positiveNumber(undefined, '--seconds'), { message: /--seconds/ });
  t.is(positiveInteger('4', '--rounds'), 4);
  t.throws(() => positiveInteger('2.5', '--rounds'), { message: /--rounds must be an integer/ });
  t.is(nonNegativeInteger('0', '--warmup-ms'), 0);
  t.throws(() => nonNegativeInteger('-1', '--warmup-ms'));
});

test('lists accept only known items, and the -- separator is dropped', (t) => {
  t.deepEqual(listOf('a, b', ['a', 'b', 'c'] as const, '--x'), ['a', 'b']);
  t.is(listOf(undefined, ['a'] as const, '--x'), null);
  t.throws(() => listOf('a,z', ['a'] as const, '--x'), { message: /unknown "z"/ });
  t.deepEqual(withoutSeparator(['--', '--quick']), ['--quick']);
});
