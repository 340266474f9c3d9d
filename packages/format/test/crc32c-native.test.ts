/** One job: the native CRC-32C, where it loads, agrees with the portable one on every input. */
import test from 'ava';
import fc from 'fast-check';
import { CRC32C_IMPLEMENTATION, crc32c, crc32cNative, crc32cPortable } from '../src/crc32c.js';
import { propertyParams } from './support.js';

test('on this machine (linux x64) the native implementation loads and is the one in use', (t) => {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    t.is(crc32c, crc32cNative ?? crc32cPortable, 'elsewhere: whichever loaded');
    return;
  }
  t.is(CRC32C_IMPLEMENTATION, 'native');
  t.not(crc32cNative, null);
});

test('native and portable agree on views of any size and offset, with and without a seed', (t) => {
  const native = crc32cNative;
  if (native === null) {
    t.is(CRC32C_IMPLEMENTATION, 'portable');
    return;
  }
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5000 }),
        fc.nat(),
        fc.option(fc.nat({ max: 2 ** 32 - 1 })),
        (bytes, cutSeed, seed) => {
          const view = bytes.subarray(cutSeed % (bytes.length + 1));
          const expected = seed === null ? crc32cPortable(view) : crc32cPortable(view, seed);
          const actual = seed === null ? native(view) : native(view, seed);
          return actual === expected;
        },
      ),
      propertyParams(500),
    ),
  );
  const large = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 131) & 0xff);
  t.is(native(large), crc32cPortable(large));
  t.is(native(large.subarray(3), 0xe3069283), crc32cPortable(large.subarray(3), 0xe3069283));
});
