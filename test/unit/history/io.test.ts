import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  detectHistoryFormat,
  formatFromExtension,
  HISTORY_FORMATS,
  parseHistoryFormat,
  parseHistoryString,
  readHistory,
  readJsonlHistory,
  sniffFormat,
  writeHistory,
  type Op,
} from '../../../checkers/history/index.js';
import { expectHistoryError, FIXTURES, useTmpDir } from './helpers.js';

const JSONL = '{"process":0,"type":"invoke","f":"read","value":null}\n{"process":0,"type":"ok","f":"read","value":1}\n';
const EDN = '{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value 1}\n';
const EXPECTED: Op[] = [
  { index: 0, process: 0, type: 'invoke', f: 'read', value: null },
  { index: 1, process: 0, type: 'ok', f: 'read', value: 1 },
];

describe('history format selection', () => {
  let dir: string;
  useTmpDir((d) => (dir = d));

  it('parses format names and lists the valid ones for an unknown name', async () => {
    assert.deepEqual(HISTORY_FORMATS, ['jsonl', 'edn']);
    assert.equal(parseHistoryFormat('EDN'), 'edn');
    assert.equal(parseHistoryFormat('jsonl'), 'jsonl');
    await expectHistoryError(() => parseHistoryFormat('xml'), undefined, undefined, 'unknown history format "xml"', 'expected one of jsonl, edn');
    const file = join(dir, 'h.jsonl');
    await writeFile(file, JSONL);
    await expectHistoryError(() => readHistory(file, 'yaml'), undefined, undefined, 'expected one of jsonl, edn');
    await expectHistoryError(() => writeHistory(file, EXPECTED, 'csv'), undefined, undefined, 'expected one of jsonl, edn');
  });

  it('chooses by extension', () => {
    assert.equal(formatFromExtension('a/history.edn'), 'edn');
    assert.equal(formatFromExtension('history.JSONL'), 'jsonl');
    assert.equal(formatFromExtension('h.json'), 'jsonl');
    assert.equal(formatFromExtension('h.ndjson'), 'jsonl');
    assert.equal(formatFromExtension('h.txt'), undefined);
    assert.equal(formatFromExtension('history'), undefined);
  });

  it('sniffs the first non-blank line', () => {
    assert.equal(sniffFormat('{"process": 0}'), 'jsonl');
    assert.equal(sniffFormat('  { "process": 0}'), 'jsonl');
    assert.equal(sniffFormat('{}'), 'jsonl');
    assert.equal(sniffFormat('{:process 0}'), 'edn');
    assert.equal(sniffFormat('[0 :invoke :read nil]'), 'edn');
    assert.equal(sniffFormat('({:process 0}'), 'edn');
    assert.equal(sniffFormat('; comment'), 'edn');
    assert.equal(sniffFormat('#jepsen.history.Op{:process 0}'), 'edn');
    assert.throws(() => sniffFormat('hello', 'h.txt', 3), /^HistoryError: h\.txt:3: cannot tell the history format from "hello".*one of jsonl, edn/);
  });

  it('reads files without a telling extension by sniffing, skipping blank lines', async () => {
    const j = join(dir, 'jsonl-history');
    const e = join(dir, 'edn-history.txt');
    const empty = join(dir, 'empty');
    const junk = join(dir, 'junk.log');
    await writeFile(j, `\n\n${JSONL}`);
    await writeFile(e, `\n${EDN}`);
    await writeFile(empty, '\n  \n');
    await writeFile(junk, '\nhello\n');
    assert.equal(await detectHistoryFormat(j), 'jsonl');
    assert.equal(await detectHistoryFormat(e), 'edn');
    assert.deepEqual((await readHistory(j)).ops, EXPECTED);
    assert.deepEqual((await readHistory(e)).ops, EXPECTED);
    assert.deepEqual((await readHistory(empty)).ops, []);
    await expectHistoryError(() => readHistory(junk), junk, 2, 'cannot tell the history format');
  });

  it('lets an explicit format override the extension', async () => {
    const file = join(dir, 'really-edn.jsonl');
    await writeFile(file, EDN);
    await expectHistoryError(() => readHistory(file), file, 1, 'expected one JSON object per line');
    assert.deepEqual((await readHistory(file, 'edn')).ops, EXPECTED);
  });

  it('names a missing file', async () => {
    const file = join(dir, 'missing');
    await expectHistoryError(() => readHistory(file), file, undefined, 'no such file');
    await expectHistoryError(() => readHistory(`${file}.edn`), `${file}.edn`, undefined, 'no such file');
  });

  it('writes by explicit format, else by extension, else JSONL', async () => {
    const { ops } = await readJsonlHistory(join(FIXTURES, 'cas-register-valid.jsonl'));
    const cases: [string, string | undefined, RegExp][] = [
      ['a.edn', undefined, /^\{:index 0, /],
      ['b.jsonl', undefined, /^\{"index":0,/],
      ['c.log', undefined, /^\{"index":0,/],
      ['d.jsonl', 'edn', /^\{:index 0, /],
    ];
    for (const [name, format, start] of cases) {
      const file = join(dir, name);
      await writeHistory(file, ops, format);
      assert.match(await readFile(file, 'utf8'), start, name);
      assert.deepEqual((await readHistory(file, format)).ops, ops, name);
    }
  });

  it('parses in-memory histories in either format', () => {
    assert.deepEqual(parseHistoryString(JSONL, 'jsonl').ops, EXPECTED);
    assert.deepEqual(parseHistoryString(EDN, 'edn').ops, EXPECTED);
  });
});
