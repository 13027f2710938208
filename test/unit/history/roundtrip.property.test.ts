/**
 * Property: any well-formed history built from JSON data survives JSONL -> ops -> EDN -> ops -> JSONL unchanged.
 *
 * Limitations the arbitraries respect, each because the JSONL side already cannot carry it (not the EDN side):
 * - the JSONL text is produced with JSON.stringify, so there is no -0 (written "0") and no NaN/Infinity (written
 *   null); a hand-written "-0" or "1.0" is covered by the example test at the end instead.
 * - JS has one number type, so 1.0 and 1 are the same op value in both formats (Clojure would see an int).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  opToEdnLine,
  opToJsonLine,
  parseEdnString,
  parseJsonlString,
  readHistory,
  writeHistory,
  type Op,
  type PairedOp,
} from '../../../checkers/history/index.js';
import { useTmpDir } from './helpers.js';

/** Strings that are easy to confuse with EDN syntax, or that stress escaping and encoding. */
const tricky = fc.constantFrom(
  'read', ':read', ':nemesis', 'nil', 'true', '42', '-1.5', '12N', '#{}', '#_', '#inst', '##Inf', ';', '; not a comment', '"', '"quoted"',
  '\\', '\\n', 'a\nb', 'a\r\nb', '\r', '\t', '\u0000', '\u0007', '\u2028', 'é', 'e\u0301', '😀', '\ud800', 'x\udc00', ' ', '', ',', '{', ']', '[:a]', '(1 2)', '__proto__',
);
const str = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), tricky);
const objectKey = fc.oneof(str, fc.constantFrom('__proto__', 'constructor', 'toString', ':k', 'tag', 'val', 'map', 'set', 'key', 'sym'));

/** JSON data: what a history value can be after JSON.parse. */
const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'json' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    str,
    fc.array(tie('json'), { maxLength: 4, depthIdentifier: 'json' }),
    fc.dictionary(objectKey, tie('json'), { maxKeys: 4, depthIdentifier: 'json' }),
  ),
}));

const RESERVED = new Set(['index', 'time', 'process', 'type', 'f', 'value', 'key', 'error', 'node']);
const processArb = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom('nemesis', 'nemesis-2', 'p 1', 'ünï', ':p'));
const fName = fc.constantFrom('read', 'write', 'cas', 'txn', 'start-partition', 'a b', '1st', ':colon', 'ünïcode', '"q"', 'ns/f', 'nil');

const step = fc.record({
  process: processArb,
  f: fName,
  outcome: fc.constantFrom('ok' as const, 'fail' as const, 'info' as const),
  bareInfo: fc.boolean(),
  value: json,
  time: fc.option(fc.oneof(fc.nat(), fc.nat().map(String)), { nil: undefined }),
  key: fc.option(json, { nil: undefined }),
  error: fc.option(json, { nil: undefined }),
  node: fc.option(str, { nil: undefined }),
  extras: fc.array(fc.tuple(objectKey.filter((k) => !RESERVED.has(k)), json), { maxLength: 2 }),
});

/**
 * JSONL lines for a well-formed history: each process alternates invoke / completion with the same f; string
 * processes may also log bare info ops. Indices are absent, dense or sparse (but increasing).
 */
const history = fc
  .tuple(fc.array(step, { maxLength: 30 }), fc.constantFrom('none', 'dense', 'sparse'), fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 30, maxLength: 30 }))
  .map(([steps, indexing, gaps]) => {
    const open = new Map<string | number, string>();
    let index = 0;
    return steps.map((s, i) => {
      const inFlight = open.get(s.process);
      let type: string;
      let f: string;
      if (inFlight !== undefined) {
        type = s.outcome;
        f = inFlight;
        open.delete(s.process);
      } else if (typeof s.process === 'string' && s.bareInfo) {
        type = 'info';
        f = s.f;
      } else {
        type = 'invoke';
        f = s.f;
        open.set(s.process, f);
      }
      index += indexing === 'sparse' ? gaps[i] : 1;
      const fields: [string, unknown][] = [];
      if (indexing !== 'none') fields.push(['index', index]);
      if (s.time !== undefined) fields.push(['time', s.time]);
      fields.push(['process', s.process], ['type', type], ['f', f], ['value', s.value]);
      if (s.key !== undefined) fields.push(['key', s.key]);
      if (s.error !== undefined) fields.push(['error', s.error]);
      if (s.node !== undefined) fields.push(['node', s.node]);
      fields.push(...s.extras);
      // Written by hand so a field named "__proto__" stays a field, as it would in a file.
      return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
    });
  });

const pairing = (p: PairedOp[]): unknown[] => p.map((x) => [x.id, x.process, x.f, x.outcome, x.invokePos, x.completePos]);

function roundTrip(ops: Op[]): { viaEdn: Op[]; back: string } {
  const edn = ops.map(opToEdnLine).join('\n');
  const viaEdn = parseEdnString(edn, 'gen.edn').ops;
  return { viaEdn, back: viaEdn.map(opToJsonLine).join('\n') };
}

describe('history round trip (property)', () => {
  let dir: string;
  useTmpDir((d) => (dir = d));

  it('JSONL -> ops -> EDN -> ops -> JSONL gives deep-equal ops and pairs', () => {
    fc.assert(
      fc.property(history, (lines) => {
        const a = parseJsonlString(lines.join('\n'), 'gen.jsonl');
        assert.equal(a.ops.length, lines.length);
        const edn = parseEdnString(a.ops.map(opToEdnLine).join('\n'), 'gen.edn');
        assert.deepStrictEqual(edn.ops, a.ops);
        assert.deepStrictEqual(pairing(edn.paired), pairing(a.paired));
        const { back } = roundTrip(a.ops);
        assert.equal(back, a.ops.map(opToJsonLine).join('\n'));
        assert.deepStrictEqual(parseJsonlString(back).ops, a.ops);
      }),
      { numRuns: 400 },
    );
  });

  it('round-trips through real files in both formats', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(history, async (lines) => {
        const { ops } = parseJsonlString(lines.join('\n'));
        const edn = join(dir, `p${n}.edn`);
        const jsonl = join(dir, `p${n++}.jsonl`);
        await writeHistory(edn, ops);
        const fromEdn = (await readHistory(edn)).ops;
        assert.deepStrictEqual(fromEdn, ops);
        await writeHistory(jsonl, fromEdn);
        assert.deepStrictEqual((await readHistory(jsonl)).ops, ops);
      }),
      { numRuns: 40 },
    );
  });

  it('keeps hand-written JSON numbers the JSON parser keeps (1.0, 1E5, -0, extremes)', () => {
    const { ops } = parseJsonlString('{"process":0,"type":"invoke","f":"x","value":[1.0,1E5,-0,0.1,5e-324,1.7976931348623157e308,-2.5e-300,9007199254740993]}');
    const { viaEdn } = roundTrip(ops);
    assert.deepStrictEqual(viaEdn, ops);
    assert.ok(Object.is((viaEdn[0].value as number[])[2], -0), '-0 survives EDN');
  });
});
