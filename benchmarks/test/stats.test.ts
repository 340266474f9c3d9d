import test from 'ava';
import { median, parseCells } from '../src/lib/stats.js';

test('median of odd and even counts, whatever the order', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.is(median([7]), 7);
  t.throws(() => median([]), { instanceOf: RangeError });
});

test('cells parse as appenders x record bytes, and bad ones name the flag', (t) => {
  t.deepEqual(parseCells('1x128,256x65536'), [
    { concurrency: 1, recordBytes: 128 },
    { concurrency: 256, recordBytes: 65536 },
  ]);
  t.throws(() => parseCells('16x', '--cells'), { message: /--cells: bad cell "16x"/ });
  t.throws(() => parseCells('0x128'), { instanceOf: TypeError });
});
