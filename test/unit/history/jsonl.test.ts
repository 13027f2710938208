import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  JsonlWriter,
  opToJsonLine,
  parseJsonlString,
  readJsonlHistory,
  readJsonlRecords,
  writeJsonlHistory,
  type Op,
} from '../../../checkers/history/index.js';
import { expectHistoryError, FIXTURES, useTmpDir } from './helpers.js';

describe('history JSONL', () => {
  let dir: string;
  useTmpDir((d) => (dir = d));

  describe('reading', () => {
    it('reads ops in file order, skips blank lines and pairs invocations with completions', () => {
      const text = [
        '{"index":0,"time":5,"process":0,"type":"invoke","f":"write","value":1}',
        '',
        '   ',
        '{"index":1,"time":"9","process":0,"type":"ok","f":"write","value":1,"node":"n1"}',
        '{"index":2,"process":"nemesis","type":"info","f":"kill","value":["n2"]}',
        '{"index":3,"process":1,"type":"invoke","f":"read","value":null}',
      ].join('\n');
      const { ops, paired } = parseJsonlString(text, 'h.jsonl');
      assert.deepEqual(ops, [
        { index: 0, time: 5, process: 0, type: 'invoke', f: 'write', value: 1 },
        { index: 1, time: 9, process: 0, type: 'ok', f: 'write', value: 1, node: 'n1' },
        { index: 2, process: 'nemesis', type: 'info', f: 'kill', value: ['n2'] },
        { index: 3, process: 1, type: 'invoke', f: 'read', value: null },
      ]);
      assert.equal(paired.length, 2);
      assert.equal(paired[0].outcome, 'ok');
      assert.equal(paired[0].complete, ops[1]);
      assert.equal(paired[0].completePos, 1);
      assert.equal(paired[1].outcome, 'info');
      assert.equal(paired[1].complete, undefined);
      assert.equal(paired[1].completePos, Infinity);
    });

    it('gives ops without index or time index = ordinal and no time field', () => {
      const { ops } = parseJsonlString(
        '{"process":0,"type":"invoke","f":"read"}\n\n{"process":0,"type":"ok","f":"read","value":3,"time":null,"node":null}\n',
      );
      assert.deepEqual(
        ops.map((o) => o.index),
        [0, 1],
      );
      assert.ok(!('time' in ops[0]) && !('time' in ops[1]));
      assert.ok(!('node' in ops[1]), 'a null node means no node');
      assert.equal(ops[0].value, null, 'a missing value reads as null');
    });

    it('counts blank lines when reporting line numbers', async () => {
      await expectHistoryError(
        () => parseJsonlString('{"process":0,"type":"invoke","f":"read"}\n\n\n{"process":0,"type":"ok","f":"read"', 'gap.jsonl'),
        'gap.jsonl',
        4,
        'expected one JSON object per line',
      );
    });

    it('accepts a byte-order mark and CRLF line endings', async () => {
      const file = join(dir, 'crlf.jsonl');
      await writeFile(file, '\uFEFF{"process":0,"type":"invoke","f":"read"}\r\n{"process":0,"type":"ok","f":"read","value":"a\\r\\nb"}\r\n');
      const { ops } = await readJsonlHistory(file);
      assert.equal(ops.length, 2);
      assert.equal(ops[1].value, 'a\r\nb');
      assert.deepEqual(parseJsonlString('\uFEFF{"process":0,"type":"invoke","f":"read"}\r\n').ops.length, 1);
    });

    it('reads the fixture file', async () => {
      const { ops, paired } = await readJsonlHistory(join(FIXTURES, 'cas-register-valid.jsonl'));
      assert.equal(ops.length, 13);
      assert.deepEqual(ops[4].value, ['isolated', { n1: ['n2', 'n3'] }]);
      assert.deepEqual(
        paired.map((p) => [p.process, p.f, p.outcome]),
        [
          [0, 'write', 'ok'],
          [1, 'read', 'ok'],
          [2, 'cas', 'ok'],
          [0, 'cas', 'fail'],
          [1, 'read', 'ok'],
          [3, 'write', 'info'],
        ],
      );
    });

    it('streams raw records lazily and can stop early', async () => {
      const it = readJsonlRecords(join(FIXTURES, 'cas-register-valid.jsonl'));
      const first = await it.next();
      assert.equal(first.done, false);
      assert.deepEqual(first.value, { raw: { index: 0, time: 10000, process: 0, type: 'invoke', f: 'write', value: 1 }, line: 1 });
      const closed = await it.return(undefined);
      assert.equal(closed.done, true);
    });

    it('names the file when it does not exist or is a directory', async () => {
      const missing = join(dir, 'nope.jsonl');
      await expectHistoryError(() => readJsonlHistory(missing), missing, undefined, 'no such file');
      await expectHistoryError(() => readJsonlHistory(dir), dir, undefined, 'is a directory');
    });
  });

  describe('writing', () => {
    it('writes fields in canonical order, then extras, leaving out undefined optionals', () => {
      const op = { extra: [1], node: 'n1', value: { a: 'x' }, error: 'timeout', f: 'cas', type: 'info', process: 3, time: 7, index: 2, key: 'k' } as Op;
      assert.equal(
        opToJsonLine(op),
        '{"index":2,"time":7,"process":3,"type":"info","f":"cas","key":"k","value":{"a":"x"},"error":"timeout","node":"n1","extra":[1]}',
      );
      const bare = { index: 0, process: 'nemesis', type: 'info', f: 'kill', value: undefined, error: undefined } as Op;
      assert.equal(opToJsonLine(bare), '{"index":0,"process":"nemesis","type":"info","f":"kill","value":null}');
    });

    it('writes an extra field named __proto__ like any other', () => {
      const op = JSON.parse('{"index":0,"process":0,"type":"invoke","f":"read","value":null,"__proto__":{"x":1}}') as Op;
      const line = opToJsonLine(op);
      assert.equal(line, '{"index":0,"process":0,"type":"invoke","f":"read","value":null,"__proto__":{"x":1}}');
      assert.deepEqual(parseJsonlString(line).ops[0], op);
    });

    it('round-trips the fixture through a file, one line per op', async () => {
      const { ops } = await readJsonlHistory(join(FIXTURES, 'cas-register-valid.jsonl'));
      const file = join(dir, 'copy.jsonl');
      await writeJsonlHistory(file, ops);
      const text = await readFile(file, 'utf8');
      assert.equal(text, await readFile(join(FIXTURES, 'cas-register-valid.jsonl'), 'utf8'));
      assert.deepEqual((await readJsonlHistory(file)).ops, ops);
    });

    it('appends with JsonlWriter in append mode', async () => {
      const file = join(dir, 'append.jsonl');
      const w1 = await JsonlWriter.open(file);
      await w1.write({ index: 0, process: 0, type: 'invoke', f: 'read', value: null });
      await w1.close();
      const w2 = await JsonlWriter.open(file, true);
      await w2.write({ index: 1, process: 0, type: 'ok', f: 'read', value: 5 });
      await w2.close();
      const { ops, paired } = await readJsonlHistory(file);
      assert.equal(ops.length, 2);
      assert.equal(paired[0].complete?.value, 5);
    });

    it('reports an unwritable path with the file name', async () => {
      const file = join(dir, 'no-such-dir', 'h.jsonl');
      await expectHistoryError(() => writeJsonlHistory(file, []), file, undefined, 'cannot write history', 'no such file');
    });
  });

  describe('at scale', function () {
    this.timeout(120_000);
    const N = 200_000;

    /** Lazily generated: 10 processes take turns, each invoke followed by its completion. */
    function* generate(): Generator<Op> {
      for (let i = 0; i < N; i += 2) {
        const process = (i / 2) % 10;
        const f = i % 4 === 0 ? 'write' : 'read';
        yield { index: i, time: i * 1000, process, type: 'invoke', f, value: f === 'write' ? i : null };
        yield { index: i + 1, time: i * 1000 + 500, process, type: i % 6 === 0 ? 'fail' : 'ok', f, value: i, node: `n${process % 3}` };
      }
    }

    it(`writes and streams back a ${N}-op history`, async () => {
      const sub = join(dir, 'big');
      await mkdir(sub);
      const file = join(sub, 'history.jsonl');
      await writeJsonlHistory(file, generate());
      assert.ok((await stat(file)).size > N * 60, 'the file holds one line per op');
      const { ops, paired } = await readJsonlHistory(file);
      assert.equal(ops.length, N);
      assert.equal(paired.length, N / 2);
      assert.deepEqual(ops[N - 1], { index: 199_999, time: 199_998_500, process: 9, type: 'fail', f: 'read', value: 199_998, node: 'n0' });
      assert.equal(paired.filter((p) => p.outcome === 'fail').length, Math.ceil(N / 6));
      assert.ok(paired.every((p) => p.complete !== undefined && p.complete.index === p.invoke.index + 1));
    });
  });
});
