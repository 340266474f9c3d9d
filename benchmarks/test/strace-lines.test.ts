import test from 'ava';
import { countCalls } from '../src/lib/strace-lines.js';

const trace = [
  // The segment is prepared without O_DSYNC, renamed, then reopened with it for batches.
  '100  1.000000 openat(AT_FDCWD</d>, "/d/next.seg.tmp", O_RDWR|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 20</d/next.seg.tmp>',
  '100  1.000100 pwrite64(20</d/next.seg.tmp>, ""..., 4096, 0) = 4096',
  '100  1.000200 fdatasync(20</d/next.seg.tmp>) = 0',
  '101  1.000300 openat(AT_FDCWD</d>, "/d/0.seg", O_RDWR|O_DSYNC|O_CLOEXEC <unfinished ...>',
  '101  1.000400 <... openat resumed>) = 21</d/0.seg>',
  '100  1.000500 openat(AT_FDCWD</d>, "/d/0.seg", O_RDONLY|O_CLOEXEC) = 22</d/0.seg>',
  // Two batches: each one O_DSYNC write, one of them split by -f.
  '102  2.000000 pwrite64(21</d/0.seg>, ""..., 8192, 4096) = 8192',
  '103  2.100000 pwritev(21</d/0.seg>, [...], 2, 12288 <unfinished ...>',
  '103  2.100500 <... pwritev resumed>) = 4096',
  // The index: opened without O_DSYNC, so a plain write.
  '100  2.200000 openat(AT_FDCWD</d>, "/d/0.idx", O_RDWR|O_CREAT|O_CLOEXEC, 0666) = 23</d/0.idx>',
  '100  2.300000 pwrite64(23</d/0.idx>, ""..., 16, 0) = 16',
  // libuv wake-ups are neither writes nor flushes of the engine.
  '99   2.400000 write(5<anon_inode:[eventfd]>, ""..., 8) = 8',
].join('\n');

test('a write to a file opened with O_DSYNC counts as a write and as a flush', (t) => {
  const counts = countCalls(trace, { startMicros: 2_000_000, endMicros: 3_000_000 });
  t.is(counts.ioWrites, 3, 'two segment writes and one index write');
  t.is(counts.dsyncWrites, 2);
  t.is(counts.syncCalls, 0);
  t.is(counts.syncs, 2, 'one flush per batch');
  t.is(counts.writtenBytes.file, 8192 + 4096 + 16);
  t.is(counts.allCalls, 4, 'opens are followed, not counted');
});

test('a read-only open does not unmark a path, a writable open without O_DSYNC does', (t) => {
  const reopened = `${trace}\n100  3.000000 openat(AT_FDCWD</d>, "/d/0.seg", O_RDWR|O_CLOEXEC) = 24</d/0.seg>\n100  3.100000 pwrite64(24</d/0.seg>, ""..., 4096, 16384) = 4096\n100  3.200000 fdatasync(24</d/0.seg>) = 0`;
  const counts = countCalls(reopened, { startMicros: 3_000_000, endMicros: 4_000_000 });
  t.is(counts.dsyncWrites, 0);
  t.is(counts.syncCalls, 1);
  t.is(counts.syncs, 1);
  const whole = countCalls(reopened);
  t.is(whole.dsyncWrites, 2);
  t.is(whole.syncCalls, 2, 'the tmp file fdatasync and the last one');
});
