/**
 * One job: temporary log directories for this package's tests, removed when the test file ends
 * (each file registers `test.after.always(removeFreshDirs)`), so runs do not leave logs behind in
 * the machine's temp folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A new empty directory under the temp folder, named `seglog-bullmq-<kind>-XXXXXX`. */
export async function freshDir(kind: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `seglog-bullmq-${kind}-`));
  made.push(dir);
  return dir;
}

/** Removes every directory `freshDir` made in this process. */
export async function removeFreshDirs(): Promise<void> {
  const dirs = made.splice(0);
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}
