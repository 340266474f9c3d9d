/**
 * Test support: a shipper in its own process, so a test can kill it with SIGKILL at any instant.
 * Arguments: the log directory, the stream, then the servers. It follows the log through HEAD (no
 * Log object: the writer runs in the test's process) and ships until killed.
 */
import { ship } from '../../src/index.js';

const [dir, stream, ...servers] = process.argv.slice(2);
if (dir === undefined || stream === undefined || servers.length === 0) throw new TypeError('usage: shipper-child <dir> <stream> <server>...');
const shipper = await ship({ dir, stream, servers, publishTimeoutMillis: 2000 });
process.send?.({ ready: true });
// Runs until killed; a failure that stops shipping is printed so the test can show it.
shipper.stopped.catch((error: unknown) => {
  process.stderr.write(`shipper stopped: ${String(error)}\n`);
  process.exit(3);
});
