/**
 * One job: the verify progress bar (cli-progress, on stderr), with MB/s and ETA. Drawn only when
 * stderr is a TTY and the output is not JSON, unless `--progress always|never` says otherwise, so
 * a pipe or a log file never gets a bar or its escape codes. cli-progress is loaded only to draw
 * a bar: a piped verify does not pay its start-up (about 7 ms, 1% of verifying 2 GB).
 */
import type { Format } from './output.js';

export interface Progress {
  add(bytes: number): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { add: () => undefined, stop: () => undefined };

export async function startProgress(
  mode: 'auto' | 'always' | 'never',
  format: Format,
  totalBytes: number,
): Promise<Progress> {
  const draw = mode === 'always' || (mode === 'auto' && process.stderr.isTTY === true && format === 'text');
  if (!draw || totalBytes === 0) return NO_PROGRESS;
  const { default: cliProgress } = await import('cli-progress');
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'verify [{bar}] {percentage}% | {mb}/{totalMb} MB | {rate} MB/s | ETA {eta_formatted}',
      hideCursor: true,
      noTTYOutput: mode === 'always',
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const totalMb = (totalBytes / 1e6).toFixed(1);
  bar.start(totalBytes, 0, { mb: '0.0', totalMb, rate: '0.0' });
  let done = 0;
  return {
    add(bytes: number): void {
      done += bytes;
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      const rate = (done / 1e6 / seconds).toFixed(1);
      // A re-read past damage can read more than the files hold; the bar never shows past 100%.
      bar.update(Math.min(done, totalBytes), { mb: (Math.min(done, totalBytes) / 1e6).toFixed(1), totalMb, rate });
    },
    stop(): void {
      bar.stop();
    },
  };
}
