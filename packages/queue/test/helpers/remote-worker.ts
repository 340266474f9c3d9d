/**
 * A remote worker in its own process, for the kill -9 tests: connects to the socket in argv[2],
 * consumes group argv[3] with concurrency 64 and a 1 s lease, acks messages whose payload is even
 * and holds the odd ones for ever. Prints "got <offset> <attempt>" when a message arrives and
 * "acked <offset>" once its ack is durable (resolved).
 */
import { connectQueue } from '../../src/index.js';

const remote = await connectQueue({ path: process.argv[2]! });
const consumer = remote.consumer(process.argv[3]!, { concurrency: 64, ackDeadlineMs: 1000, backoff: { type: 'fixed', delayMs: 0 } });
for await (const message of consumer) {
  process.stdout.write(`got ${message.offset} ${message.deliveryCount}\n`);
  if (Number(new TextDecoder().decode(message.payload)) % 2 === 0) {
    void message.ack().then(() => process.stdout.write(`acked ${message.offset}\n`));
  }
}
