/** One job: test crc32c: known check values, incremental = one-shot, always an unsigned u32. */
import test from 'ava';
import fc from 'fast-check';
import { crc32c } from '../src/index.js';
import { propertyParams, utf8 } from './support.js';

test('the CRC-32C check value: crc32c("123456789") = 0xE3069283', (t) => {
  t.is(crc32c(utf8('123456789')), 0xe3069283);
});

// RFC 3720 (iSCSI) appendix B.4 vectors: they pin the polynomial, the reflection and the final
// XOR, which the single check value above cannot tell apart from every wrong variant.
test('RFC 3720 test vectors over 32 bytes', (t) => {
  const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
  const descending = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
  t.is(crc32c(new Uint8Array(32)), 0x8a9136aa);
  t.is(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  t.is(crc32c(ascending), 0x46dd794e);
  t.is(crc32c(descending), 0x113fdb5c);
});

test('the CRC of nothing is 0, and seeding with it is the same as no seed', (t) => {
  t.is(crc32c(new Uint8Array(0)), 0);
  const bytes = utf8('123456789');
  t.is(crc32c(bytes, 0), crc32c(bytes));
});

// 0xE3069283 has its top bit set: crc-32 returns it as a negative int32, so this is the case
// that catches a missing `>>> 0` (a stored u32 would then never equal the computed value).
test('a CRC with the top bit set comes back unsigned', (t) => {
  const crc = crc32c(utf8('123456789'));
  t.true(crc > 2 ** 31);
  t.is(crc, crc >>> 0);
});

test('incremental over two parts equals one shot, seeds with the top bit set included', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cutSeed) => {
        const cut = cutSeed % (bytes.length + 1);
        const oneShot = crc32c(bytes);
        const incremental = crc32c(bytes.subarray(cut), crc32c(bytes.subarray(0, cut)));
        return incremental === oneShot;
      }),
      propertyParams(300),
    ),
  );
});

test('incremental over many parts (one byte at a time) equals one shot', (t) => {
  const bytes = Uint8Array.from({ length: 257 }, (_, i) => (i * 151) & 0xff);
  let crc = crc32c(new Uint8Array(0));
  for (let i = 0; i < bytes.length; i++) crc = crc32c(bytes.subarray(i, i + 1), crc);
  t.is(crc, crc32c(bytes));
});

test('every result is an integer in [0, 2^32)', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.option(fc.nat({ max: 2 ** 32 - 1 })), (bytes, seed) => {
        const crc = seed === null ? crc32c(bytes) : crc32c(bytes, seed);
        return Number.isInteger(crc) && crc >= 0 && crc < 2 ** 32;
      }),
      propertyParams(300),
    ),
  );
});

test('a view into a larger buffer hashes only its own bytes', (t) => {
  const backing = utf8('xx123456789yy');
  t.is(crc32c(backing.subarray(2, 11)), 0xe3069283);
});
