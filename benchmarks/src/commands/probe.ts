/** One job: `main.js probe`: lib/probe.ts on the command line; exits 1 on FAIL. */
import { parseArgs } from 'node:util';
import { positiveNumber } from '../lib/args.js';
import { describeProbe, probeDefaults, probeFlush } from '../lib/probe.js';
import type { Command } from './command.js';

export const probeCommand: Command = {
  name: 'probe',
  summary: "this disk's flush latency, the commit window the adaptive policy would pick, PASS/FAIL against a threshold",
  usage: `usage: main.js probe [--dir DIR] [--seconds ${probeDefaults.seconds}] [--threshold-us ${probeDefaults.thresholdP99Micros}] [--json]
  --dir DIR          probe the disk behind DIR (default: a temporary directory under the OS temp dir)
  --threshold-us N   PASS when the flush p99 is at most N µs
  --json             print the result as one JSON document`,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: { dir: { type: 'string' }, seconds: { type: 'string' }, 'threshold-us': { type: 'string' }, json: { type: 'boolean' } },
    });
    const result = await probeFlush({
      ...(values.dir === undefined ? {} : { dir: values.dir }),
      seconds: positiveNumber(values.seconds, '--seconds', probeDefaults.seconds),
      thresholdP99Micros: positiveNumber(values['threshold-us'], '--threshold-us', probeDefaults.thresholdP99Micros),
    });
    console.log(values.json === true ? JSON.stringify(result) : describeProbe(result));
    if (!result.pass) process.exitCode = 1;
  },
};
