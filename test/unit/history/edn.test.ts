import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EdnScanner,
  ednToJson,
  jsonToEdn,
  opToEdnLine,
  parseEdnString,
  readEdnHistory,
  readEdnRecords,
  readJsonlHistory,
  writeEdnHistory,
  type Op,
} from '../../../checkers/history/index.js';
import { toEDNString } from 'edn-data';
import { expectHistoryError, FIXTURES, useTmpDir } from './helpers.js';

/** The value of the single op in an EDN snippet. */
function valueOf(ednValue: string): unknown {
  return parseEdnString(`{:process 0, :type :invoke, :f :x, :value ${ednValue}}`).ops[0].value;
}

describe('history EDN', () => {
  let dir: string;
  useTmpDir((d) => (dir = d));

  describe('Jepsen map form', () => {
    it('reads the fixture to the same ops as its JSONL twin', async () => {
      const edn = await readEdnHistory(join(FIXTURES, 'cas-register-valid.edn'));
      const jsonl = await readJsonlHistory(join(FIXTURES, 'cas-register-valid.jsonl'));
      assert.equal(edn.ops.length, 13);
      assert.deepEqual(edn.ops, jsonl.ops);
      assert.deepEqual(
        edn.paired.map((p) => [p.process, p.f, p.outcome]),
        jsonl.paired.map((p) => [p.process, p.f, p.outcome]),
      );
    });

    it('turns keywords into strings, including nemesis processes, map keys and namespaced keywords', () => {
      const { ops } = parseEdnString(
        '{:type :info, :process :nemesis, :f :start-partition, :value [:isolated {"n1" #{"n2"}, :n3 :jepsen/majority}]}',
      );
      assert.deepEqual(ops[0], {
        index: 0,
        type: 'info',
        process: 'nemesis',
        f: 'start-partition',
        value: ['isolated', { n1: ['n2'], n3: 'jepsen/majority' }],
      });
    });

    it('maps every EDN value type to JSON data', () => {
      assert.equal(valueOf('nil'), null);
      assert.equal(valueOf('true'), true);
      assert.equal(valueOf('false'), false);
      assert.equal(valueOf('-42'), -42);
      assert.equal(valueOf('2.5'), 2.5);
      assert.equal(valueOf('1e-7'), 1e-7);
      assert.equal(valueOf('12N'), 12);
      assert.equal(valueOf('123456789012345678901234N'), '123456789012345678901234', 'unsafe bigints keep their digits');
      assert.equal(valueOf('1.5M'), 1.5);
      assert.equal(valueOf('"a \\"q\\" \\\\ \\n \\t \\u00e9"'), 'a "q" \\ \n \t é');
      assert.equal(valueOf('"raw é 😀"'), 'raw é 😀');
      assert.deepEqual(valueOf('[1 (2 3) #{4} []]'), [1, [2, 3], [4], []]);
      assert.deepEqual(valueOf('{1 :a, nil 2, true 3, [1 2] 4, {:k 1} 5}'), { '1': 'a', null: 2, true: 3, '[1,2]': 4, '{"k":1}': 5 });
      assert.deepEqual(valueOf('[\\a \\newline \\space \\u00e9 \\( \\" \\;]'), ['a', '\n', ' ', 'é', '(', '"', ';']);
      assert.deepEqual(valueOf('[foo some.ns/sym]'), ['foo', 'some.ns/sym']);
      assert.deepEqual(valueOf('[##Inf ##NaN]'), ['##Inf', '##NaN']);
    });

    it('accepts comments, commas, discards, several records per line and multi-line strings', () => {
      const text = [
        '; header comment',
        '{:process 0, :type :invoke, :f :w, :value "a;b"} ; trailing ; comment',
        '#_{:process 9, :type :invoke, :f :junk}',
        '{:process 0 :type :ok :f :w :value "a;b" #_:ignored #_ 1} {:process 1, :type :invoke, :f :r, :value "line one',
        'line two"}',
        '{:process 1, :type :ok, :f :r, :value [1 #_2 3]}',
      ].join('\n');
      const { ops } = parseEdnString(text);
      assert.deepEqual(
        ops.map((o) => [o.index, o.process, o.type, o.value]),
        [
          [0, 0, 'invoke', 'a;b'],
          [1, 0, 'ok', 'a;b'],
          [2, 1, 'invoke', 'line one\nline two'],
          [3, 1, 'ok', [1, 3]],
        ],
      );
    });

    it('ignores comments inside a record, even right after a token', () => {
      const { ops } = parseEdnString('{:process 2 ; who\n :type :invoke;what\n :f :read, :value 7;value\n :extra [1;one\n 2]}');
      assert.deepEqual(ops[0], { index: 0, process: 2, type: 'invoke', f: 'read', value: 7, extra: [1, 2] });
    });

    it('reports the line each record starts on', () => {
      const scanner = new EdnScanner('s.edn');
      assert.deepEqual(scanner.feed('  {:a 1} [1', 1), [{ text: '{:a 1}', line: 1 }]);
      assert.deepEqual(scanner.feed(' 2] ; c', 2), [{ text: '[1  2]', line: 1 }]);
      assert.deepEqual(scanner.feed('#_ {:x', 3), []);
      assert.deepEqual(scanner.feed('1} {:b "x', 4), []);
      assert.deepEqual(scanner.feed('y"}', 5), [{ text: '{:b "x\ny"}', line: 4 }]);
      scanner.end();
    });
  });

  describe('tagged literals', () => {
    it('yields the map of a tagged op and of any tagged map', () => {
      const { ops } = parseEdnString(
        [
          '#jepsen.history.Op{:index 0, :time 1, :type :invoke, :process 0, :f :read, :value nil}',
          '#jepsen.history.Op {:index 1, :time 2, :type :info, :process 0, :f :read, :value nil, :error #error {:cause "timeout", :via [{:type java.net.SocketTimeoutException}]}}',
        ].join('\n'),
      );
      assert.deepEqual(ops[0], { index: 0, time: 1, type: 'invoke', process: 0, f: 'read', value: null });
      assert.deepEqual(ops[1].error, { cause: 'timeout', via: [{ type: 'java.net.SocketTimeoutException' }] });
    });

    it('yields the tagged value for other tags', () => {
      assert.deepEqual(valueOf('#object[clojure.lang.Atom 0x3c5c0b8c {:status :ready, :val 1}]'), [
        'clojure.lang.Atom',
        '0x3c5c0b8c',
        { status: 'ready', val: 1 },
      ]);
      assert.equal(valueOf('#inst "2024-01-02T03:04:05.000-00:00"'), '2024-01-02T03:04:05.000-00:00');
      assert.equal(valueOf('#uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"'), 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6');
      assert.equal(valueOf('#my/tag #other 5'), 5);
    });

    it('keeps a real map with :tag and :val keys as a map', () => {
      assert.deepEqual(valueOf('{:tag "t", :val 1}'), { tag: 't', val: 1 });
    });
  });

  describe('tuple form', () => {
    it('reads [process type f value] vectors and lists', async () => {
      const { ops, paired } = await readEdnHistory(join(FIXTURES, 'register-tuples.edn'));
      assert.deepEqual(ops, [
        { index: 0, process: 0, type: 'invoke', f: 'write', value: 1 },
        { index: 1, process: 0, type: 'ok', f: 'write', value: 1 },
        { index: 2, process: 1, type: 'invoke', f: 'read', value: null },
        { index: 3, process: 'nemesis', type: 'info', f: 'start', value: null },
        { index: 4, process: 1, type: 'ok', f: 'read', value: 1 },
        { index: 5, process: 'nemesis', type: 'info', f: 'stop', value: null },
        { index: 6, process: 2, type: 'invoke', f: 'cas', value: [1, 2] },
        { index: 7, process: 2, type: 'info', f: 'cas', value: [1, 2] },
      ]);
      assert.deepEqual(
        paired.map((p) => p.outcome),
        ['ok', 'ok', 'info'],
      );
    });
  });

  describe('top-level vector form', () => {
    it('reads a whole-file vector of maps spanning many lines', async () => {
      const file = join(FIXTURES, 'register-knossos-vector.edn');
      const records = [];
      for await (const r of readEdnRecords(file)) records.push(r.line);
      assert.deepEqual(records, [2, 3, 6, 7], 'each element keeps its own line');
      const { ops, paired } = await readEdnHistory(file);
      assert.deepEqual(ops, [
        { index: 0, process: 0, type: 'invoke', f: 'write', value: 1 },
        { index: 1, process: 0, type: 'ok', f: 'write', value: 1 },
        { index: 2, process: 1, type: 'invoke', f: 'read', value: null },
        { index: 3, process: 1, type: 'ok', f: 'read', value: 1 },
      ]);
      assert.equal(paired.length, 2);
    });

    it('reads a top-level list of maps, a vector of tuples, and an empty vector', () => {
      const list = parseEdnString('({:process 0, :type :invoke, :f :read, :value nil}\n {:process 0, :type :ok, :f :read, :value 2})');
      assert.deepEqual(
        list.ops.map((o) => o.value),
        [null, 2],
      );
      const tuples = parseEdnString('[[0 :invoke :read nil]\n [0 :ok :read 2]\n [:nemesis :info :kill "n1"]]');
      assert.deepEqual(
        tuples.ops.map((o) => [o.process, o.type, o.f, o.value]),
        [
          [0, 'invoke', 'read', null],
          [0, 'ok', 'read', 2],
          ['nemesis', 'info', 'kill', 'n1'],
        ],
      );
      assert.deepEqual(parseEdnString('[]\n').ops, []);
      assert.deepEqual(parseEdnString('').ops, []);
    });

    it('reports errors inside the vector at the right line', async () => {
      await expectHistoryError(
        () => parseEdnString('[{:process 0, :type :invoke, :f :read, :value nil}\n {:process 0, :type :invoke, :f :read, :value nil}\n {:process 0, :type :bogus, :f :read}]', 'k.edn'),
        'k.edn',
        2,
        'still in flight',
      );
    });
  });

  describe('export', () => {
    it('writes one Jepsen map per line with keyword keys, type, f and string processes', () => {
      const ops: Op[] = [
        { index: 0, time: 12, process: 0, type: 'invoke', f: 'write', value: 3 },
        { index: 1, process: 'nemesis', type: 'info', f: 'start-partition', value: ['isolated', { n1: ['n2'] }] },
        { index: 2, process: 1, type: 'ok', f: 'read', value: 'read', key: 'k1', error: null, node: 'n1', extra: { 'a b': [true, 1.5] } },
      ];
      assert.deepEqual(ops.map(opToEdnLine), [
        '{:index 0, :time 12, :process 0, :type :invoke, :f :write, :value 3}',
        '{:index 1, :process :nemesis, :type :info, :f :start-partition, :value ["isolated" {"n1" ["n2"]}]}',
        '{:index 2, :process 1, :type :ok, :f :read, :key "k1", :value "read", :error nil, :node "n1", :extra {"a b" [true 1.5]}}',
      ]);
    });

    it('writes names that are not safe keywords as strings, and they read back the same', () => {
      const op: Op = { index: 0, process: 'p 1', type: 'info', f: '1st "op"', value: ':read', 'odd key': 1, ':k': 2 };
      const line = opToEdnLine(op);
      assert.equal(line, '{:index 0, :process "p 1", :type :info, :f "1st \\"op\\"", :value ":read", "odd key" 1, ":k" 2}');
      assert.deepEqual(parseEdnString(line).ops[0], op);
    });

    it('keeps strings that look like keywords, nil or numbers as strings', () => {
      const op: Op = { index: 0, process: 0, type: 'invoke', f: 'x', value: ['read', ':read', 'nil', '1', 'true', '#{}', ''] };
      assert.deepEqual(parseEdnString(opToEdnLine(op)).ops[0], op);
    });

    it('converts values like JSON does: undefined fields dropped, non-finite numbers nil, -0 kept', () => {
      assert.equal(toEDNString(jsonToEdn({ a: undefined, b: [undefined, NaN, Infinity], c: -0 })), '{"b" [nil nil nil] "c" -0.0}');
      assert.ok(Object.is(valueOf('-0.0'), -0));
      assert.equal(toEDNString(jsonToEdn(new Map([[1, new Set(['a'])]]))), '{1 #{"a"}}');
      assert.deepEqual(ednToJson({ map: [[{ key: 'a' }, { set: [{ sym: 's' }, { char: 'c' }] }]] }), { a: ['s', 'c'] });
    });

    it('round-trips a history JSONL -> ops -> EDN file -> ops', async () => {
      const { ops } = await readJsonlHistory(join(FIXTURES, 'cas-register-valid.jsonl'));
      const file = join(dir, 'history.edn');
      await writeEdnHistory(file, ops);
      const text = await readFile(file, 'utf8');
      assert.equal(text.split('\n').length, ops.length + 1, 'one line per op plus the final newline');
      assert.ok(text.startsWith('{:index 0, :time 10000, :process 0, :type :invoke, :f :write, :value 1}\n'));
      assert.deepEqual((await readEdnHistory(file)).ops, ops);
    });
  });
});
