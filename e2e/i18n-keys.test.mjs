// Every string the web client asks for exists in Korean and in English.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './lib/harness.mjs';
import { keys } from '../pb_public/js/i18n.js';

// keys built at run time from a prefix and a value the server defines
const DYNAMIC = {
  'role.': ['member', 'admin'],
  'read.': ['public', 'members', 'granted'],
  'write.': ['members', 'granted', 'admins'],
  'sort.': ['new', 'likes', 'views', 'comments'],
  'lang.': ['ko', 'en'],
  'kind.': ['linear_regression', 'text_classifier', 'openai_chat'],
  'jobStatus.': ['queued', 'running', 'succeeded', 'failed', 'canceled', 'draft', 'training', 'ready'],
};

test('Korean and English define the same strings', () => {
  const ko = new Set(keys('ko'));
  const en = new Set(keys('en'));
  assert.deepEqual([...ko].filter((k) => !en.has(k)), [], 'missing in English');
  assert.deepEqual([...en].filter((k) => !ko.has(k)), [], 'missing in Korean');
});

test('every key the client uses is defined', async () => {
  const dir = join(ROOT, 'pb_public', 'js');
  const files = [...(await readdir(dir)).map((f) => join(dir, f)), ...(await readdir(join(dir, 'views'))).map((f) => join(dir, 'views', f))]
    .filter((f) => f.endsWith('.js'));
  const defined = new Set(keys('ko'));
  const missing = [];
  for (const file of files) {
    const source = await readFile(file, 'utf8');
    for (const [, key] of source.matchAll(/\bt\(\s*'([A-Za-z0-9_.]+)'/g)) {
      if (!defined.has(key)) missing.push(`${file.slice(ROOT.length + 1)}: ${key}`);
    }
    for (const [, prefix] of source.matchAll(/\bt\(\s*`([A-Za-z]+\.)\$\{/g)) {
      if (prefix === 'err.') continue; // PocketBase error codes: a missing one falls back to the server's message
      assert.ok(DYNAMIC[prefix], `${file}: unknown dynamic key prefix ${prefix}`);
      for (const v of DYNAMIC[prefix]) if (!defined.has(prefix + v)) missing.push(`${prefix}${v}`);
    }
  }
  assert.deepEqual(missing, []);
});
