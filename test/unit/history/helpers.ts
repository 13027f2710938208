/** Shared helpers for the history I/O tests: temp dirs, fixture paths and precise HistoryError assertions. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HistoryError } from '../../../checkers/history/index.js';

/** Absolute path of test/fixtures. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');

/** A fresh directory under os.tmpdir(); remove it with removeTmpDir. */
export function makeTmpDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'faultline-history-'));
}

/** Register mocha hooks giving the enclosing suite a fresh temp dir (passed to `set`), removed afterwards. */
export function useTmpDir(set: (dir: string) => void): void {
  let dir: string | undefined;
  before(async () => {
    dir = await makeTmpDir();
    set(dir);
  });
  after(async () => {
    if (dir) await removeTmpDir(dir);
  });
}

/** Delete a directory made by makeTmpDir. */
export function removeTmpDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** Assert `err` is a HistoryError at exactly file:line whose message contains every `expected` fragment. */
export function assertHistoryError(err: unknown, file: string | undefined, line: number | undefined, ...expected: (string | RegExp)[]): void {
  assert.ok(err instanceof HistoryError, `expected a HistoryError, got ${String(err)}`);
  assert.equal(err.pos.file, file, `file in ${err.message}`);
  assert.equal(err.pos.line, line, `line in ${err.message}`);
  const where = file !== undefined ? `${file}${line !== undefined ? `:${line}` : ''}: ` : line !== undefined ? `line ${line}: ` : '';
  assert.ok(err.message.startsWith(where), `message should start with ${JSON.stringify(where)}: ${err.message}`);
  for (const e of expected) {
    if (typeof e === 'string') assert.ok(err.message.includes(e), `message should contain ${JSON.stringify(e)}: ${err.message}`);
    else assert.match(err.message, e);
  }
}

/** Run `fn`, expect it to throw (or reject) and check the error with assertHistoryError. */
export async function expectHistoryError(fn: () => unknown, file: string | undefined, line: number | undefined, ...expected: (string | RegExp)[]): Promise<void> {
  let thrown: unknown;
  try {
    await fn();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown !== undefined, 'expected an error, got none');
  assertHistoryError(thrown, file, line, ...expected);
}
