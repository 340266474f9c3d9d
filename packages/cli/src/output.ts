/**
 * One job: where the command's words go. Data goes to stdout, prose and progress to stderr, as the
 * issue's conventions say; `--json` prints one document with a `version` field, `--ndjson` one
 * object a line. A closed stdout (`seglog dump d | head -1`: EPIPE) is a normal end: writers see
 * `closed` and stop, and the exit code stays what the work decided.
 */
import { styleText } from 'node:util';

/** Version of every JSON document the command prints; bumped when a field changes meaning. */
export const JSON_VERSION = 1;

export type Format = 'text' | 'json' | 'ndjson';

export class Output {
  readonly format: Format;
  #closed = false;

  constructor(format: Format) {
    this.format = format;
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      // The reader of our stdout went away: nothing more to say, and nothing wrong.
      if (error.code === 'EPIPE') this.#closed = true;
      else throw error;
    });
  }

  /** True once stdout's reader has gone (EPIPE): stop producing. */
  get closed(): boolean {
    return this.#closed;
  }

  /** One line of data on stdout, waiting for the pipe to drain when it is full. */
  async line(text: string): Promise<void> {
    if (this.#closed) return;
    if (!process.stdout.write(`${text}\n`)) await drained();
  }

  /** The one JSON document of a command, with its `version`. */
  async document(body: Record<string, unknown>): Promise<void> {
    await this.line(JSON.stringify({ version: JSON_VERSION, ...body }, jsonSafe, 2));
  }

  /** One NDJSON object. */
  async object(body: Record<string, unknown>): Promise<void> {
    await this.line(JSON.stringify(body, jsonSafe));
  }

  /** Prose for a person, on stderr; never in the way of JSON on stdout. */
  note(text: string): void {
    process.stderr.write(`${text}\n`);
  }

  /** A warning line on stderr, yellow only on a colour TTY without NO_COLOR (styleText checks). */
  warn(text: string): void {
    process.stderr.write(`${styleText('yellow', 'warning:', { stream: process.stderr })} ${text}\n`);
  }

  error(text: string): void {
    process.stderr.write(`${styleText('red', 'error:', { stream: process.stderr })} ${text}\n`);
  }
}

function drained(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.stdout.off('drain', done);
      process.stdout.off('error', done);
      process.stdout.off('close', done);
      resolve();
    };
    process.stdout.once('drain', done);
    process.stdout.once('error', done);
    process.stdout.once('close', done);
  });
}

/** Uint8Arrays (log ids) print as hex, never as an object of 16 numbered keys. */
function jsonSafe(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value;
}

/** A table of rows with aligned columns, for text output. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const render = (row: readonly string[]): string => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [render(header), ...rows.map(render)];
}
