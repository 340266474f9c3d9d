/**
 * One job: rebuild a local log from a stream the shipper filled: same log id, same offsets, same
 * payloads, append times aside (the new log stamps its own; the originals stay in the stream's
 * `Seglog-Append-Time-Ms` headers).
 *
 * It reads the stream in sequence order by direct gets (stream-read.ts says why not a consumer),
 * up to the stream's last message when the restore began, and appends in batches of
 * `shipLimits.restoreBatchCount`.
 */
import { join } from 'node:path';
import type { JetStreamManager } from 'nats';
import { openLog } from '@seglog/store';
import { SeglogError, shipLimits, type FileIO } from '@seglog/types';
import { nodeFileIO } from '@seglog/io';
import { holdConnection } from './connection.js';
import { logIdBytesOf, parseShippedHeaders } from './message-headers.js';
import { apiErrorCode, JsErr, unavailable } from './nats-errors.js';
import { resolveServers, resolveStreamNames, type RestoreOptions } from './options.js';
import { RestoreCheck } from './restore-check.js';
import { readStreamInOrder } from './stream-read.js';

interface CopyOptions extends RestoreOptions {
  readonly manager: JetStreamManager;
  readonly subject: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

export interface RestoreResult {
  readonly dir: string;
  readonly logIdHex: string;
  /**
   * The offset of the first record restored, where the new log starts: the stream's first record's
   * offset, 0 unless shipping started after retention had dropped the log's start or the stream's
   * limits dropped its oldest messages. Reads below it answer SEGLOG_BEHIND_RETENTION.
   */
  readonly firstOffset: number;
  /** Records restored: offsets firstOffset .. firstOffset + records - 1. */
  readonly records: number;
  readonly payloadBytes: number;
  /** The stream sequence of the last message restored. */
  readonly lastSeq: number;
}

export async function restore(options: RestoreOptions): Promise<RestoreResult> {
  if (typeof options !== 'object' || options === null) throw SeglogError.invalidOption('restore options', 'must be an object');
  const { stream, subject } = resolveStreamNames(options);
  const servers = resolveServers(options);
  if (typeof options.dir !== 'string' || options.dir.length === 0) throw SeglogError.invalidOption('dir', 'must be a non-empty string');
  await requireEmpty(options.logOptions?.io ?? nodeFileIO, options.dir);
  const held = await holdConnection(options.connection, servers, `seglog-restore ${stream}`);
  try {
    const manager = await held.connection.jetstreamManager().catch((error: unknown) => {
      throw unavailable('JetStream is not available on this connection', error);
    });
    const state = await manager.streams.info(stream).then(
      (info) => info.state,
      (error: unknown) => {
        if (apiErrorCode(error) === JsErr.streamNotFound) throw SeglogError.invalidOption('stream', `names ${stream}, which does not exist`);
        throw unavailable(`reading stream ${stream}`, error);
      },
    );
    if (state.messages === 0) throw SeglogError.invalidOption('stream', `${stream} holds no records to restore`);
    const { first_seq: firstSeq, last_seq: lastSeq } = state;
    return await copyStream({ ...options, manager, stream, subject, firstSeq, lastSeq });
  } finally {
    await held.release();
  }
}

/** The name the issue gives it; the same function. */
export const restoreFromJetStream = restore;

async function copyStream(options: CopyOptions): Promise<RestoreResult> {
  const check = new RestoreCheck();
  let log: Awaited<ReturnType<typeof openLog>> | null = null;
  let batch: Uint8Array[] = [];
  let payloadBytes = 0;
  const range = { firstSeq: options.firstSeq, lastSeq: options.lastSeq, inFlight: shipLimits.restoreBatchCount };
  try {
    for await (const message of readStreamInOrder(options.manager, options.stream, range)) {
      options.signal?.throwIfAborted();
      check.accept(message.seq, message.subject, options.subject, parseShippedHeaders(message.header));
      log ??= await openLog({
        ...options.logOptions,
        dir: options.dir,
        logId: logIdBytesOf(check.logIdHex!),
        firstOffset: check.firstOffset!,
      });
      batch.push(message.data);
      payloadBytes += message.data.length;
      if (batch.length >= shipLimits.restoreBatchCount) {
        await log.appendMany(batch);
        batch = [];
      }
    }
    if (log !== null && batch.length > 0) await log.appendMany(batch);
  } finally {
    await log?.close();
  }
  if (log === null) throw SeglogError.invalidOption('stream', `${options.stream} holds no records to restore`);
  const { dir, lastSeq } = options;
  const firstOffset = check.firstOffset!;
  const records = check.nextOffset - firstOffset;
  return { dir, logIdHex: check.logIdHex!, firstOffset, records, payloadBytes, lastSeq };
}

async function requireEmpty(io: FileIO, dir: string): Promise<void> {
  const stat = await io.stat(dir);
  if (stat === null) return;
  if (!stat.isDirectory) throw SeglogError.invalidOption('dir', `${dir} exists and is not a directory`);
  const names = await io.readdir(dir);
  if (names.length > 0) throw SeglogError.invalidOption('dir', `${join(dir, names[0]!)} exists: restore writes a new log into a missing or empty directory`);
}
