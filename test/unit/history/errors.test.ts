/**
 * Every way a history file can be rejected, read through the real file path (readHistory): the message must name
 * the file, the exact line, and what was expected instead.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readHistory } from '../../../checkers/history/index.js';
import { expectHistoryError, useTmpDir } from './helpers.js';

interface BadCase {
  name: string;
  ext: 'jsonl' | 'edn';
  lines: string[];
  line: number;
  expected: (string | RegExp)[];
}

const INVOKE = '{"index":0,"process":0,"type":"invoke","f":"read","value":null}';
const EDN_INVOKE = '{:index 0, :process 0, :type :invoke, :f :read, :value nil}';

const CASES: BadCase[] = [
  // JSONL
  { name: 'invalid JSON', ext: 'jsonl', lines: [INVOKE, '', '{"process":0,"type":"ok",'], line: 3, expected: ['expected one JSON object per line', /JSON/] },
  { name: 'a JSON value that is not an object', ext: 'jsonl', lines: [INVOKE, '[0,"ok","read",1]'], line: 2, expected: ['expected an operation object'] },
  { name: 'unknown type', ext: 'jsonl', lines: [INVOKE, '{"process":0,"type":"done","f":"read"}'], line: 2, expected: ['unknown type "done"', 'expected one of invoke, ok, fail, info'] },
  { name: 'missing type', ext: 'jsonl', lines: ['{"process":0,"f":"read"}'], line: 1, expected: ['missing "type"', 'expected one of invoke, ok, fail, info'] },
  { name: 'missing process', ext: 'jsonl', lines: [INVOKE, '{"type":"invoke","f":"read"}'], line: 2, expected: ['missing "process"', 'expected an integer (client) or a string'] },
  { name: 'bad process', ext: 'jsonl', lines: ['{"process":1.5,"type":"invoke","f":"read"}'], line: 1, expected: ['bad "process" 1.5', 'expected an integer (client) or a string'] },
  { name: 'missing f', ext: 'jsonl', lines: [INVOKE, '{"index":1,"process":1,"type":"invoke","value":1}'], line: 2, expected: ['missing "f"', 'expected the operation name as a string'] },
  { name: 'empty f', ext: 'jsonl', lines: ['{"process":1,"type":"invoke","f":""}'], line: 1, expected: ['bad or missing "f" ""', 'expected the operation name'] },
  {
    name: 'two ops in flight on one process',
    ext: 'jsonl',
    lines: [INVOKE, '{"index":1,"process":1,"type":"invoke","f":"write","value":2}', '{"index":2,"process":0,"type":"invoke","f":"write","value":3}'],
    line: 3,
    expected: ['process 0 invokes write while its read from line 1 is still in flight', 'expected a completion (ok, fail or info) first'],
  },
  {
    name: 'a completion with no invocation',
    ext: 'jsonl',
    lines: [INVOKE, '{"index":1,"process":4,"type":"ok","f":"read","value":1}'],
    line: 2,
    expected: ['ok completion of read for process 4 with no invocation in flight', 'expected an invoke for this process earlier'],
  },
  {
    name: 'a completion whose f differs',
    ext: 'jsonl',
    lines: [INVOKE, '', '{"index":1,"process":0,"type":"fail","f":"write","value":1}'],
    line: 3,
    expected: ['fail completion has f "write" but process 0 invoked "read" at line 1', 'expected the same f'],
  },
  {
    name: 'a non-increasing index',
    ext: 'jsonl',
    lines: ['{"index":5,"process":0,"type":"invoke","f":"read"}', '{"index":5,"process":0,"type":"ok","f":"read"}'],
    line: 2,
    expected: ['"index" 5 is not greater than 5 at line 1', 'expected indices to increase'],
  },
  { name: 'a bad index', ext: 'jsonl', lines: ['{"index":-1,"process":0,"type":"invoke","f":"read"}'], line: 1, expected: ['bad "index" -1', 'expected a non-negative integer'] },
  { name: 'a bad time', ext: 'jsonl', lines: [INVOKE, '{"time":"soon","process":0,"type":"ok","f":"read"}'], line: 2, expected: ['bad "time" "soon"', 'expected nanoseconds'] },
  { name: 'a bad node', ext: 'jsonl', lines: ['{"process":0,"type":"invoke","f":"read","node":3}'], line: 1, expected: ['bad "node" 3', 'expected the node name as a string'] },
  // EDN: the same validation rules, then the EDN-specific syntax and shape errors.
  { name: 'EDN unknown type', ext: 'edn', lines: [EDN_INVOKE, '{:process 0, :type :done, :f :read}'], line: 2, expected: ['unknown type "done"', 'expected one of invoke, ok, fail, info'] },
  { name: 'EDN missing process', ext: 'edn', lines: ['; c', '{:type :invoke, :f :read}'], line: 2, expected: ['missing "process"', 'expected an integer'] },
  { name: 'EDN bad process', ext: 'edn', lines: ['{:type :invoke, :process [0], :f :read}'], line: 1, expected: ['bad "process" [0]', 'expected an integer'] },
  { name: 'EDN missing f', ext: 'edn', lines: ['{:type :invoke, :process 0}'], line: 1, expected: ['missing "f"', 'expected the operation name'] },
  {
    name: 'EDN two ops in flight (tuples)',
    ext: 'edn',
    lines: ['[0 :invoke :read nil]', '[1 :invoke :read nil]', '[1 :ok :read nil]', '[0 :invoke :write 1]'],
    line: 4,
    expected: ['process 0 invokes write while its read from line 1 is still in flight', 'expected a completion'],
  },
  { name: 'EDN completion with no invocation', ext: 'edn', lines: ['[3 :fail :read nil]'], line: 1, expected: ['with no invocation in flight', 'expected an invoke'] },
  { name: 'EDN completion whose f differs', ext: 'edn', lines: ['[0 :invoke :read nil]', '[0 :info :write nil]'], line: 2, expected: ['info completion has f "write"', 'expected the same f'] },
  {
    name: 'EDN non-increasing index',
    ext: 'edn',
    lines: ['{:index 3, :process 0, :type :invoke, :f :read}', '{:index 2, :process 0, :type :ok, :f :read}'],
    line: 2,
    expected: ['"index" 2 is not greater than 3', 'expected indices to increase'],
  },
  { name: 'EDN unclosed map', ext: 'edn', lines: [EDN_INVOKE, '{:index 1, :process 0, :type :ok, :f :read', '', ''], line: 2, expected: ['invalid EDN', '"{" opened here is never closed', 'expected "}"'] },
  { name: 'EDN mismatched bracket', ext: 'edn', lines: [EDN_INVOKE, '{:index 1, :value [1 2}'], line: 2, expected: ['invalid EDN', 'expected "]" to close the "[" opened at line 2, got "}"'] },
  { name: 'EDN stray closer', ext: 'edn', lines: [EDN_INVOKE, '', ']'], line: 3, expected: ['invalid EDN', 'unexpected "]"'] },
  { name: 'EDN odd map', ext: 'edn', lines: ['{:index 0, :process 0, :type :invoke, :f :read,', ' :value}'], line: 2, expected: ['invalid EDN', 'the map opened at line 1 has an odd number of forms', 'expected key-value pairs'] },
  { name: 'EDN unterminated string', ext: 'edn', lines: [EDN_INVOKE, '{:index 1, :value "abc}', '{:index 2}'], line: 2, expected: ['invalid EDN', 'string opened here is never closed', 'expected a closing "'] },
  { name: 'EDN bad string escape', ext: 'edn', lines: [EDN_INVOKE, '{:index 1, :value "a\\qb"}'], line: 2, expected: ['invalid EDN', 'bad string escape "\\q"', 'expected one of'] },
  { name: 'EDN unsupported dispatch', ext: 'edn', lines: ['{:value #"re"}'], line: 1, expected: ['invalid EDN', 'unsupported "#""', 'expected a tag'] },
  { name: 'EDN unknown character literal', ext: 'edn', lines: ['{:value \\bogus}'], line: 1, expected: ['invalid EDN', 'unknown character literal "\\bogus"'] },
  { name: 'EDN dangling tag', ext: 'edn', lines: [EDN_INVOKE, '[1 #foo]'], line: 2, expected: ['invalid EDN', 'has no form to apply to'] },
  { name: 'EDN top-level number', ext: 'edn', lines: [EDN_INVOKE, '42'], line: 2, expected: ['expected an op map like {:process 0', 'or a tuple [process type f value], got 42'] },
  { name: 'EDN top-level keyword', ext: 'edn', lines: [EDN_INVOKE, '', ':ok'], line: 3, expected: ['expected an op map', 'got :ok'] },
  { name: 'EDN top-level set', ext: 'edn', lines: ['#{1 2 3 4}'], line: 1, expected: ['expected an op map', 'got #{1 2 3 4}'] },
  { name: 'EDN tuple of the wrong size', ext: 'edn', lines: ['[0 :invoke :read nil]', '[0 :ok :read]'], line: 2, expected: ['expected a tuple [process type f value] of 4 elements, got 3'] },
  { name: 'EDN non-op element in a top-level vector', ext: 'edn', lines: ['[{:process 0, :type :invoke, :f :read}', ' "oops"', ']'], line: 2, expected: ['expected an op map', 'got "oops"'] },
];

describe('history input errors', () => {
  let dir: string;
  useTmpDir((d) => (dir = d));

  CASES.forEach((c, i) => {
    it(`${c.ext}: ${c.name} -> h${i}.${c.ext}:${c.line}`, async () => {
      const file = join(dir, `h${i}.${c.ext}`);
      await writeFile(file, `${c.lines.join('\n')}\n`);
      await expectHistoryError(() => readHistory(file), file, c.line, ...c.expected);
    });
  });
});
