/**
 * One job: every option docs/tuning.md lists for `openLog` is one openLog knows: a bad value of it
 * is refused naming that option, never as an unknown name. (@seglog/types' docs test checks the
 * other way round: every option of LogOptions has its row.)
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { SimFileIO } from '@seglog/testkit';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import type { LogOptions } from '@seglog/types';
import { openLog } from '../src/index.js';

async function documentedOptions(): Promise<string[]> {
  const text = await readFile(new URL('../../../docs/tuning.md', import.meta.url), 'utf8');
  const table = text.slice(0, text.indexOf('\n## '));
  return [...table.matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1]!);
}

test('each openLog option docs/tuning.md lists is known to openLog: a bad value is refused by its name', async (t) => {
  const names = await documentedOptions();
  t.true(names.length > 10, `${names.length} options read from docs/tuning.md`);
  for (const name of names.filter((option) => option !== 'dir')) {
    const options = { dir: '/options', io: new SimFileIO({ seed: 1 }), [name]: Symbol('bad') } as unknown as LogOptions;
    const error = await t.throwsAsync(openLog(options), undefined, name);
    t.true(isSeglogError(error, ErrorCodes.INVALID_OPTION), `${name}: ${String(error)}`);
    t.true(error?.message.includes(name), `${name}: the refusal names it: ${error?.message}`);
    t.false(error?.message.includes('is not a seglog option'), `${name}: openLog does not know it: ${error?.message}`);
  }
});
