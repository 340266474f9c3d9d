import { createServer, type Server } from 'node:net';
import test from 'ava';
import { benchPortFirst, benchPortLast, freeLoopbackPort } from '../src/lib/server.js';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

test('benchmark servers get a free port of the suite range 14400-14499, skipping a taken one', async (t) => {
  const firstTried = benchPortFirst + (process.pid % (benchPortLast - benchPortFirst + 1));
  const taken = await listen(firstTried).catch(() => null);
  try {
    const port = await freeLoopbackPort();
    t.true(port >= benchPortFirst && port <= benchPortLast, `port ${port}`);
    t.not(port, firstTried, 'the port this process would try first is in use');
    const server = await listen(port);
    await new Promise((resolve) => server.close(resolve));
  } finally {
    if (taken !== null) await new Promise((resolve) => taken.close(resolve));
  }
});
