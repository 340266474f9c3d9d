/**
 * @seglog/queue/machine: the foundation under the queue (and under the BullMQ backend of issue 14):
 * a deterministic state machine over a seglog log, crash-safe snapshots, a hashed timing wheel,
 * and delivery tokens.
 *
 * Interface, in one place:
 * - `openMachine({ dir, machine, io?, snapshotEveryRecords?, snapshotEveryBytes?, snapshotOnClose?, log? })`
 *   opens `<dir>/log` (a seglog log) and `<dir>/snapshots`, loads the newest valid snapshot into
 *   `machine.restore`, replays the durable records after it through `machine.apply`, and returns a
 *   `Machine`. Open time follows the records since the last snapshot, not the history.
 * - `machine.propose(commands)`: the commands become one record (a transaction), appended through
 *   group commit; once durable it is applied in offset order and the promise resolves with what
 *   `apply` returned. Nothing is applied before it is durable; a failed append applies nothing and
 *   makes every later proposal reject (the log's errors are sticky) until reopened.
 * - `StateMachine<C, R>`: `apply(commands, offset)` (pure: no clock, no randomness, no I/O; put
 *   times into the commands), `encodeCommands`/`decodeCommands`, `snapshot()`/`restore(body)`.
 * - `SnapshotStore`: tmp file, fdatasync, rename, directory fsync; keeps the newest 2; a file that
 *   fails its CRC-32C is skipped for an older one.
 * - `TimingWheel<T>`: `schedule(value, dueMs)` and `cancel(timer)` in O(1), `advance(nowMs)`
 *   returns what fell due; no scan of all pending timers. Holds no clock; rebuilt from state at open.
 * - `DeliveryToken`: message offset + attempt. A settle carries it; `apply` accepts it only while
 *   the lease it names is the message's current one (see docs/queue.md).
 */
export { Machine, openMachine, SNAPSHOT_EVERY_BYTES_DEFAULT, SNAPSHOT_EVERY_RECORDS_DEFAULT } from './machine.js';
export { LogHold, MACHINE_HOLD_NAME_DEFAULT } from './log-hold.js';
export type { MachineOptions, MachineStats, StateMachine } from './machine.js';
export { SnapshotStore, SNAPSHOTS_KEPT_DEFAULT, decodeSnapshot, encodeSnapshot, snapshotFileName } from './snapshot-store.js';
export type { LoadedSnapshot } from './snapshot-store.js';
export { TimingWheel, WHEEL_SLOTS_DEFAULT, WHEEL_TICK_MS_DEFAULT } from './timing-wheel.js';
export type { TimingWheelOptions, WheelTimer } from './timing-wheel.js';
export { formatToken, sameToken } from './token.js';
export type { DeliveryToken } from './token.js';
