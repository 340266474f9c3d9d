/**
 * Test support: payloads that name their own offset (so a misplaced or duplicated record is seen
 * by content, not only by header), and a dump of every message a stream holds, in order.
 */
import { AckPolicy, connect, DeliverPolicy, nanos, type NatsConnection } from 'nats';
import { parseShippedHeaders } from '../../src/index.js';

/** `offset` as 8 bytes, then `size - 8` bytes derived from it. */
export function payloadFor(offset: number, size = 128): Uint8Array {
  const bytes = new Uint8Array(Math.max(8, size));
  new DataView(bytes.buffer).setBigUint64(0, BigInt(offset), true);
  for (let i = 8; i < bytes.length; i++) bytes[i] = (offset * 31 + i) & 0xff;
  return bytes;
}

export interface DumpedMessage {
  readonly seq: number;
  readonly offset: number | null;
  readonly logIdHex: string | null;
  readonly payload: Uint8Array;
}

/**
 * Every message of `stream`, in stream order, read with the plain nats client as a consumer on
 * another machine would: a pull consumer (no ack, explicit start), fetched in batches.
 */
export async function dumpStream(servers: string[], stream: string): Promise<DumpedMessage[]> {
  const connection: NatsConnection = await connect({ servers });
  try {
    const manager = await connection.jetstreamManager();
    const { state } = await manager.streams.info(stream);
    const out: DumpedMessage[] = [];
    if (state.messages === 0) return out;
    const info = await manager.consumers.add(stream, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: state.first_seq,
      inactive_threshold: nanos(60_000),
    });
    const consumer = await connection.jetstream().consumers.get(stream, info.name);
    while (out.length === 0 || out[out.length - 1]!.seq < state.last_seq) {
      for await (const message of await consumer.fetch({ max_messages: 1000, expires: 5000 })) {
        const meta = parseShippedHeaders(message.headers);
        const { seq, data: payload } = message;
        out.push({ seq, offset: meta?.offset ?? null, logIdHex: meta?.logIdHex ?? null, payload });
      }
    }
    await manager.consumers.delete(stream, info.name);
    return out;
  } finally {
    await connection.close();
  }
}

/** Throws unless the stream holds offsets 0..count-1 exactly once, in order, with their payloads. */
export function assertExactlyOnce(messages: readonly DumpedMessage[], count: number, payloadSize: number): void {
  if (messages.length !== count) {
    const seen = new Map<number, number>();
    for (const m of messages) seen.set(m.offset ?? -1, (seen.get(m.offset ?? -1) ?? 0) + 1);
    const dupes = [...seen].filter(([, n]) => n > 1).slice(0, 5);
    throw new Error(`stream holds ${messages.length} messages, expected ${count}; duplicated offsets (first 5): ${JSON.stringify(dupes)}`);
  }
  messages.forEach((message, index) => {
    if (message.offset !== index) throw new Error(`stream message ${message.seq} holds offset ${message.offset}, expected ${index}`);
    const want = payloadFor(index, payloadSize);
    if (Buffer.compare(Buffer.from(message.payload), Buffer.from(want)) !== 0) throw new Error(`offset ${index}: payload differs`);
  });
}
