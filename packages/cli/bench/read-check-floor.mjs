// The floor under `seglog verify` on this machine: what any check that copies every byte of the
// segments out of the page cache and computes CRC-32C over it (16 KiB chunks, as a v2 batch is
// checksummed) costs, with no decoder, no report, no CLI, on 1 and on 2 threads (each thread takes
// every other segment; a 4 MiB buffer per thread, reused). Prints wall and CPU seconds of the work
// alone, and of a whole `node -e 0` for the process start-up that verify pays on top.
// Run from packages/cli after `pnpm build`, under the benchmark lock (see verify-vs-cat.sh):
//   flock /tmp/seglog-bench.lock chrt -f 50 node bench/read-check-floor.mjs /tmp/verify-log [rounds=5]
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { crc32c } from '@seglog/format';

const BUFFER_BYTES = 4 * 1024 * 1024;
const CHUNK_BYTES = 16 * 1024;

function checkFiles(files, withCrc) {
  const buffer = new Uint8Array(BUFFER_BYTES);
  let sum = 0;
  for (const file of files) {
    const fd = fs.openSync(file, 'r');
    try {
      for (let position = 0, read; (read = fs.readSync(fd, buffer, 0, BUFFER_BYTES, position)) > 0; position += read) {
        if (!withCrc) continue;
        for (let at = 0; at < read; at += CHUNK_BYTES) sum ^= crc32c(buffer.subarray(at, Math.min(read, at + CHUNK_BYTES)));
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  return sum;
}

if (!isMainThread) {
  parentPort.postMessage(checkFiles(workerData.files, workerData.withCrc));
} else {
  const dir = process.argv[2];
  if (dir === undefined) throw new Error('usage: node bench/read-check-floor.mjs <log-dir> [rounds]');
  const rounds = Number(process.argv[3] ?? 5);
  const files = fs.readdirSync(dir).filter((name) => name.endsWith('.seg')).sort().map((name) => path.join(dir, name));
  const bytes = files.reduce((sum, file) => sum + fs.statSync(file).size, 0);
  const threadsRun = async (threads, withCrc) => {
    const share = (lane) => files.filter((_, i) => i % threads === lane);
    const workers = Array.from({ length: threads - 1 }, (_, i) => new Promise((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { files: share(i + 1), withCrc } });
      worker.once('message', resolve);
      worker.once('error', reject);
    }));
    checkFiles(share(0), withCrc);
    await Promise.all(workers);
  };
  const cells = [['copy, 1 thread', 1, false], ['copy + CRC-32C, 1 thread', 1, true], ['copy + CRC-32C, 2 threads', 2, true]];
  const results = new Map(cells.map(([name]) => [name, []]));
  const startups = [];
  checkFiles(files, false); // warm the page cache
  for (let round = 0; round < rounds; round++) {
    for (const [name, threads, withCrc] of cells) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      await threadsRun(threads, withCrc);
      const used = process.cpuUsage(cpu);
      results.get(name).push({ wall: (performance.now() - started) / 1000, cpu: (used.user + used.system) / 1e6 });
    }
    const started = performance.now();
    execFileSync(process.execPath, ['-e', '0']);
    startups.push((performance.now() - started) / 1000);
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  console.log(`${files.length} segments, ${(bytes / 1e9).toFixed(2)} GB, medians of ${rounds} rounds`);
  for (const [name, runs] of results) {
    const wall = median(runs.map((run) => run.wall));
    const cpu = median(runs.map((run) => run.cpu));
    console.log(`${name.padEnd(28)} wall ${wall.toFixed(3)} s  CPU ${cpu.toFixed(3)} s  (${(cpu / (bytes / 1e9)).toFixed(3)} CPU s per GB)`);
  }
  console.log(`${'node -e 0 (start-up)'.padEnd(28)} wall ${median(startups).toFixed(3)} s`);
}
