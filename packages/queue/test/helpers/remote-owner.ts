/**
 * A queue owner in its own process, for the kill -9 tests: opens the queue in argv[2] on the real
 * disk, serves it on `<dir>/queue.sock`, prints "ready" and runs until killed.
 */
import { openQueue, serveQueue } from '../../src/index.js';

const queue = await openQueue({ dir: process.argv[2]! });
await serveQueue(queue);
process.stdout.write('ready\n');
setInterval(() => undefined, 1 << 30);
