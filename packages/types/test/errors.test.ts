import test from 'ava';
import { ErrorCodes, SeglogError, assert, isSeglogError, limits } from '../src/index.js';

test('every error carries its stable code, and the message starts with it', (t) => {
  const cause = new Error('disk on fire');
  const error = SeglogError.io('fdatasync', '/log/00000000000000000000.seg', cause);
  t.is(error.code, ErrorCodes.IO);
  t.true(error.message.startsWith('SEGLOG_IO: fdatasync failed on /log/00000000000000000000.seg'));
  t.is(error.cause, cause);
  t.is(error.file, '/log/00000000000000000000.seg');
  t.true(error instanceof Error);
});

test('factories name the limit, file, position and offset involved', (t) => {
  t.regex(SeglogError.recordTooLarge(2000, 1000).message, /2000.*1000/);
  const corrupt = SeglogError.corrupt('bad batch', { file: 'a.seg', positionBytes: 4096, offset: 7 });
  t.deepEqual([corrupt.code, corrupt.file, corrupt.positionBytes, corrupt.offset], ['SEGLOG_CORRUPT', 'a.seg', 4096, 7]);
  t.regex(SeglogError.outOfRange(9, 0, 5).message, /9.*\[0, 5\)/);
  t.regex(SeglogError.unsupportedFormat('x.seg', 2, 1).message, /version 2.*version 1/);
  t.is(SeglogError.locked('/d', 'pid 12').code, 'SEGLOG_LOCKED');
  t.is(SeglogError.invalidOption('blockBytes', 'must be a power of two').code, 'SEGLOG_INVALID_OPTION');
});

test('isSeglogError checks the class and, when given, the code', (t) => {
  const closed = SeglogError.closed('log');
  t.true(isSeglogError(closed));
  t.true(isSeglogError(closed, 'SEGLOG_CLOSED'));
  t.false(isSeglogError(closed, 'SEGLOG_IO'));
  t.false(isSeglogError(new Error('SEGLOG_CLOSED: look-alike')));
});

test('codes are unique strings with the SEGLOG_ prefix', (t) => {
  const codes = Object.values(ErrorCodes);
  t.is(new Set(codes).size, codes.length);
  t.true(codes.every((code) => code.startsWith('SEGLOG_')));
});

test('assert throws SEGLOG_ASSERTION with the reason, and passes silently when true', (t) => {
  t.notThrows(() => assert(true, 'fine'));
  const error = t.throws(() => assert(1 > 2, 'one is more than two'));
  t.true(isSeglogError(error, 'SEGLOG_ASSERTION'));
  t.regex(error.message, /one is more than two/);
});

test('limits keep their documented relationships', (t) => {
  t.is(limits.blockBytesDefault & (limits.blockBytesDefault - 1), 0, 'default block is a power of two');
  t.true(limits.blockBytesMin <= limits.blockBytesDefault && limits.blockBytesDefault <= limits.blockBytesMax);
  t.true(limits.recordBytesMaxDefault < limits.batchBytesMaxDefault);
  t.true(limits.batchBytesMaxDefault < limits.segmentBytesDefault);
  t.true(limits.segmentBytesMax < 2 ** 32, 'batch positions fit u32 block numbers');
});
