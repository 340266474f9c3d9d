/**
 * One job: rebuild a local log from a stream the shipper filled: same log id, same offsets, same
 * payloads, append times aside (the new log stamps its own; the originals stay in the stream's
 * `Seglog-Append-Time-Ms` headers).
 *
 * It reads the stream in order through an ordered consumer created without options (with nats
 * 2.29 and nats-server 2.9, asking for `deliver_policy: all` explicitly makes the client send a
 * start sequence the server refuses, and the client retries forever), up to the stream's last
 * message when the restore began, and appends in batches of `shipLimits.restoreBatchCount`.
 */
import { join } from 'node:path';
import { openLog } from '@seglog/store';
import { ErrorCodes, SeglogError, shipLimits, type FileIO } from '@seglog/types';
import { nodeFileIO } from '@seglog/io';
import { holdConnection } from './connection.js';
import { logIdBytesOf, parseShippedHeaders } from './message-headers.js';
import { apiErrorCode, JsErr, unavailable } from './nats-errors.js';
import { resolveServers, resolveStreamNames, type RestoreOptions } from './options.js';
import { RestoreCheck } from './restore-check.js';

export interface RestoreResult {
  readonly dir: string;
  readonly logIdHex: string;
  /** Records restored: offsets 0 .. records-1. */
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
    return await copyStream({ ...options, connection: held.connection, stream, subject, lastSeq: state.last_seq });
  } finally {
    await held.release();
  }
}

/** The name the issue gives it; the same function. */
export const restoreFromJetStream = restore;

async function copyStream(options: RestoreOptions & { connection: NonNullable<RestoreOptions['connection']>; subject: string; lastSeq: number }): Promise<RestoreResult> {
  const consumer = await options.connection.jetstream().consumers.get(options.stream).catch((error: unknown) => {
    throw unavailable(`creating an ordered consumer on ${options.stream}`, error);
  });
  const messages = await consumer.consume({ max_messages: shipLimits.restoreBatchCount });
  const check = new RestoreCheck();
  let log: Awaited<ReturnType<typeof openLog>> | null = null;
  let batch: Uint8Array[] = [];
  let payloadBytes = 0;
  let lastSeq = 0;
  try {
    for await (const message of messages) {
      options.signal?.throwIfAborted();
      check.accept(message.seq, message.subject, options.subject, parseShippedHeaders(message.headers));
      log ??= await openLog({ ...options.logOptions, dir: options.dir, logId: logIdBytesOf(check.logIdHex!) });
      batch.push(message.data);
      payloadBytes += message.data.length;
      lastSeq = message.seq;
      if (batch.length >= shipLimits.restoreBatchCount || message.seq >= options.lastSeq) {
        await log.appendMany(batch);
        batch = [];
      }
      if (message.seq >= options.lastSeq) break;
    }
  } finally {
    messages.stop();
    await log?.close();
  }
  if (log === null || lastSeq < options.lastSeq) {
    throw new SeglogError(ErrorCodes.JETSTREAM_UNAVAILABLE, `the stream ended at sequence ${lastSeq} before its last message ${options.lastSeq}`);
  }
  return { dir: options.dir, logIdHex: check.logIdHex!, records: check.nextOffset, payloadBytes, lastSeq };
}

async function requireEmpty(io: FileIO, dir: string): Promise<void> {
  const stat = await io.stat(dir);
  if (stat === null) return;
  if (!stat.isDirectory) throw SeglogError.invalidOption('dir', `${dir} exists and is not a directory`);
  const names = await io.readdir(dir);
  if (names.length > 0) throw SeglogError.invalidOption('dir', `${join(dir, names[0]!)} exists: restore writes a new log into a missing or empty directory`);
}
