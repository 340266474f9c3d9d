/**
 * One job: test segment and index file names (packages/format/src/segment-name.ts): 20 digits so
 * a plain sort of names is a sort by offset, exact round trips, and every other name rejected
 * (docs/format.md: "Any other file is ignored").
 */
import test from 'ava';
import fc from 'fast-check';
import { isSeglogError, limits } from '@seglog/types';
import { NEXT_SEGMENT_TMP, indexFileName, parseSegmentFileName, segmentFileName } from '../src/index.js';
import { propertyParams } from './support.js';

test('names are the base offset in 20 zero-padded digits', (t) => {
  t.is(segmentFileName(0), '00000000000000000000.seg');
  t.is(segmentFileName(4096), '00000000000000004096.seg');
  t.is(segmentFileName(Number.MAX_SAFE_INTEGER), '00009007199254740991.seg');
  t.is(indexFileName(0), '00000000000000000000.idx');
  t.is(indexFileName(4096), '00000000000000004096.idx');
});

test('parse(name(offset)) = offset and name(parse(name)) = name', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.maxSafeNat(), (offset) => {
        const name = segmentFileName(offset);
        const parsed = parseSegmentFileName(name);
        return name.length === 24 && parsed === offset && segmentFileName(parsed) === name;
      }),
      propertyParams(500),
    ),
  );
  t.is(parseSegmentFileName('00009007199254740991.seg'), Number.MAX_SAFE_INTEGER);
});

test('names sort lexically in offset order', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(fc.maxSafeNat(), { maxLength: 30 }), (offsets) => {
        const byOffset = [...offsets].sort((a, b) => a - b).map(segmentFileName);
        const byName = offsets.map(segmentFileName).sort();
        return JSON.stringify(byName) === JSON.stringify(byOffset);
      }),
      propertyParams(300),
    ),
  );
  // The case that unpadded names get wrong: "9" sorts after "10".
  t.deepEqual([segmentFileName(10), segmentFileName(9)].sort(), [segmentFileName(9), segmentFileName(10)]);
});

test('every other name in a log directory is rejected', (t) => {
  const others = [
    indexFileName(0),
    NEXT_SEGMENT_TMP,
    'LOCK', // the directory lock, @seglog/io's lockFileName
    '',
    '.seg',
    '0.seg',
    '0000000000000000000.seg', // 19 digits
    '000000000000000000000.seg', // 21 digits
    '00000000000000000000.SEG',
    '00000000000000000000.seg.tmp',
    '00000000000000000000.seg.broken',
    '00000000000000000000.seg\n',
    ' 00000000000000000000.seg',
    'x0000000000000000000.seg',
    '+0000000000000000000.seg',
    '-0000000000000000001.seg',
    '0000000000000000000a.seg',
    '00000000000000000000.segx',
    '0000000000000000000١.seg', // an Arabic-Indic digit is not an ASCII digit
    'dir/00000000000000000000.seg',
  ];
  for (const name of others) t.is(parseSegmentFileName(name), null, JSON.stringify(name));
});

test('20-digit names beyond the largest offset are rejected, not rounded', (t) => {
  t.true(limits.offsetMax === Number.MAX_SAFE_INTEGER);
  t.is(parseSegmentFileName('00009007199254740992.seg'), null);
  t.is(parseSegmentFileName('00009007199254740993.seg'), null);
  t.is(parseSegmentFileName('99999999999999999999.seg'), null);
});

test('a name for an offset that is not a safe integer is an assertion', (t) => {
  for (const offset of [-1, 1.5, 2 ** 53, Number.NaN]) {
    t.true(isSeglogError(t.throws(() => segmentFileName(offset)), 'SEGLOG_ASSERTION'), String(offset));
  }
});
