/**
 * One job: the real monotonic clock. performance.now() is monotonic (it never jumps with NTP or a
 * date change) and cheaper per call than process.hrtime.bigint(), which also costs a BigInt
 * conversion; its sub-microsecond resolution is more than a commit window needs. Wall-clock time
 * (batch append times) is Date.now().
 */
import type { Clock } from '@seglog/types';

const microsPerMilli = 1000;

export const systemClock: Clock = {
  nowMicros: () => performance.now() * microsPerMilli,
  wallMillis: () => Date.now(),
};
