/**
 * One job: every option docs/tuning.md lists for `openReader` is one openReader knows: a bad value
 * of it is refused naming that option, never as an unknown name. (@seglog/types' docs test checks
 * the other way round: every option of ReaderOptions has its row.)
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { SimFileIO } from '@seglog/testkit';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import type { ReaderOptions } from '@seglog/types';
import { openReader } from '../src/index.js';

async function documentedOptions(): Promise<string[]> {
  const text = await readFile(new URL('../../../docs/tuning.md', import.meta.url), 'utf8');
  const start = text.indexOf('\n## Reader options');
  const table = text.slice(start, text.indexOf('\n## ', start + 1));
  return [...table.matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1]!);
}

test('each openReader option docs/tuning.md lists is known to openReader: a bad value is refused by its name', async (t) => {
  const names = await documentedOptions();
  t.true(names.length > 4, `${names.length} options read from docs/tuning.md`);
  for (const name of names.filter((option) => option !== 'dir')) {
    const options = { dir: '/options', io: new SimFileIO({ seed: 1 }), [name]: Symbol('bad') } as unknown as ReaderOptions;
    const error = await t.throwsAsync(openReader(options), undefined, name);
    t.true(isSeglogError(error, ErrorCodes.INVALID_OPTION), `${name}: ${String(error)}`);
    t.true(error?.message.includes(name), `${name}: the refusal names it: ${error?.message}`);
    t.false(error?.message.includes('is not a reader option'), `${name}: openReader does not know it: ${error?.message}`);
  }
});
