/**
 * One job: the shipper's and restore's view of one JetStream stream: create or check it, read the
 * last message of the log's subject, publish one record. Everything NATS-specific that is not
 * about the pipeline lives here.
 *
 * Why one subject per stream: each publish names the stream sequence it must follow
 * (message-headers.ts). With the log's subject as the stream's only subject, nobody else moves the
 * stream's sequence, so the shipper can compute the expected sequence of each of
 * many in-flight publishes without waiting for the one before it.
 */
import { nanos, StorageType, type JetStreamClient, type JetStreamManager, type MsgHdrs, type NatsConnection, type PubAck } from 'nats';
import { SeglogError } from '@seglog/types';
import { parseShippedHeaders } from './message-headers.js';
import { apiErrorCode, JsErr, unavailable } from './nats-errors.js';
import type { StreamTail } from './resume-point.js';

export interface StreamSpec {
  readonly stream: string;
  readonly subject: string;
  readonly replicas: number;
  readonly duplicateWindowMillis: number;
}

export class Stream {
  readonly spec: StreamSpec;
  readonly #manager: JetStreamManager;
  readonly #client: JetStreamClient;

  private constructor(spec: StreamSpec, manager: JetStreamManager, client: JetStreamClient) {
    this.spec = spec;
    this.#manager = manager;
    this.#client = client;
  }

  static async attach(connection: NatsConnection, spec: StreamSpec): Promise<Stream> {
    const manager = await connection.jetstreamManager().catch((error: unknown) => {
      throw unavailable('JetStream is not available on this connection', error);
    });
    return new Stream(spec, manager, connection.jetstream());
  }

  /** Creates the stream (file storage, `replicas`) if missing; an existing one must hold only the log's subject. */
  async ensure(create: boolean): Promise<void> {
    const { stream, subject, replicas, duplicateWindowMillis } = this.spec;
    let subjects: string[];
    try {
      subjects = (await this.#manager.streams.info(stream)).config.subjects ?? [];
    } catch (error) {
      if (apiErrorCode(error) !== JsErr.streamNotFound) throw unavailable(`reading stream ${stream}`, error);
      if (!create) throw SeglogError.invalidOption('stream', `names ${stream}, which does not exist (and createStream is false)`);
      const config = {
        name: stream,
        subjects: [subject],
        storage: StorageType.File,
        num_replicas: replicas,
        duplicate_window: nanos(duplicateWindowMillis),
      };
      await this.#manager.streams.add(config).catch((failure: unknown) => {
        throw unavailable(`creating stream ${stream}`, failure);
      });
      return;
    }
    if (subjects.length !== 1 || subjects[0] !== subject) {
      throw SeglogError.invalidOption('stream', `${stream} has subjects [${subjects.join(', ')}]; a shipped log needs a stream whose only subject is ${subject}`);
    }
  }

  /** The stream's last sequence (it stays after a purge). */
  async lastSeq(): Promise<number> {
    try {
      return (await this.#manager.streams.info(this.spec.stream)).state.last_seq;
    } catch (error) {
      throw unavailable(`reading stream ${this.spec.stream}`, error);
    }
  }

  /** The last message on the log's subject, or null when there is none. */
  async tail(): Promise<StreamTail | null> {
    try {
      const last = await this.#manager.streams.getMessage(this.spec.stream, { last_by_subj: this.spec.subject });
      return { seq: last.seq, meta: parseShippedHeaders(last.header) };
    } catch (error) {
      if (apiErrorCode(error) === JsErr.noMessageFound) return null;
      throw unavailable(`reading the last message of ${this.spec.stream}`, error);
    }
  }

  publish(payload: Uint8Array, headers: MsgHdrs, timeoutMillis: number): Promise<PubAck> {
    return this.#client.publish(this.spec.subject, payload, { headers, timeout: timeoutMillis });
  }
}
