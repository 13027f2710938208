/**
 * `multi-register`: a map of registers read and written by atomic transactions. Every op has f `txn` and a
 * value that is a list of micro-ops `[f, key, value]`: `r`/`read` (value read) or `w`/`write` (value written).
 * EDN keywords (`:r`) arrive as strings; a leading colon is accepted. A read may be `[r, key]` (value null).
 *
 * - Known (ok) txn: micro-ops apply in order against the current state; every read must equal the key's current
 *   value (including the txn's own earlier writes). The micro-ops come from the completion's value (`output`); when
 *   that is null/missing, from the invocation's value, where a read of null is a placeholder and is not checked.
 * - Unknown (info) txn: only its writes (from the invocation's value) apply; its reads are unknown.
 * - Keys never written hold `initial`. `nilReadAny`: a read of null is legal whatever the key holds (Knossos).
 *
 * partition: connected components of the key sets the txns touch (union-find); a partition's key is the sorted
 * list of its keys. readOnly: txns without writes.
 *
 * State: a sorted flat array `[k0, v0, k1, v1, ...]` of canonical key text and value; keys holding `initial` are
 * absent, so equal maps have one representation.
 */
import type { Model, ModelOp, ModelOptions, Partition } from '../model.js';
import {
  EMPTY_FLAT,
  boolOption,
  checkJson,
  flatDescribe,
  flatEquals,
  flatGet,
  flatHash,
  flatSet,
  keyText,
  opError,
  orNull,
  perOp,
  readOptions,
  showKey,
  type FlatMap,
  type OptionDoc,
} from './common.js';
import { canonical, show, valueEquals } from './value.js';

export const MULTI_REGISTER_OPTIONS: readonly OptionDoc[] = [
  { name: 'initial', doc: 'the value of every key before it is written (JSON; default null)' },
  { name: 'nilReadAny', doc: 'Knossos semantics: a micro-op read of null is legal whatever the key holds (default false)' },
];

/** One micro-op, compiled: canonical key text, raw key, value, and whether a read is checked. */
interface MicroOp {
  readonly write: boolean;
  readonly kc: string;
  readonly key: unknown;
  readonly value: unknown;
}

/** What step needs of one txn: the micro-ops to apply (reads to check and writes), in order. */
interface CompiledTxn {
  readonly mops: readonly MicroOp[];
  readonly hasWrites: boolean;
  /** Canonical text of the writes, for crashClass. */
  readonly writesText: string;
}

const NAME = 'multi-register';

function parseMicroOps(op: ModelOp, list: unknown, which: string): MicroOp[] {
  if (!Array.isArray(list)) throw opError(NAME, op, `txn ${which} ${show(list)} is not a list of micro-ops`, 'expected e.g. [["r", "x", 1], ["w", "y", 2]]');
  const out: MicroOp[] = [];
  for (const m of list) {
    if (!Array.isArray(m) || m.length < 2 || m.length > 3 || typeof m[0] !== 'string') {
      throw opError(NAME, op, `bad micro-op ${show(m)} in txn ${which}`, 'expected ["r", key, value] or ["w", key, value]');
    }
    const f = m[0].startsWith(':') ? m[0].slice(1) : m[0];
    let write: boolean;
    if (f === 'r' || f === 'read') write = false;
    else if (f === 'w' || f === 'write') write = true;
    else throw opError(NAME, op, `unknown micro-op f ${JSON.stringify(m[0])} in txn ${which}`, 'expected r (read) or w (write)');
    const key = orNull(m[1]);
    out.push({ write, kc: keyText(key), key, value: orNull(m[2]) });
  }
  return out;
}

/** The `multi-register` model. */
export function multiRegisterModel(opts?: ModelOptions): Model<FlatMap> {
  const o = readOptions(NAME, opts, MULTI_REGISTER_OPTIONS);
  checkJson(NAME, 'option initial', orNull(o.initial));
  const initial = orNull(o.initial);
  const nilReadAny = boolOption(NAME, o, 'nilReadAny');

  const checkF = (op: ModelOp): void => {
    if (op.f !== 'txn' && op.f !== ':txn') throw opError(NAME, op, `unknown f ${JSON.stringify(op.f)}`, 'expected txn');
  };

  const compile = perOp((op: ModelOp): CompiledTxn => {
    checkF(op);
    const inputOps = parseMicroOps(op, op.input, 'invocation value');
    let mops: MicroOp[];
    if (!op.known) {
      mops = inputOps.filter((m) => m.write);
    } else if (op.output === null || op.output === undefined) {
      // Reads of null in the invocation are placeholders for values not yet known.
      mops = inputOps.filter((m) => m.write || m.value !== null);
    } else {
      mops = parseMicroOps(op, op.output, 'completion value');
    }
    if (nilReadAny) mops = mops.filter((m) => m.write || m.value !== null);
    const writes = mops.filter((m) => m.write);
    return {
      mops,
      hasWrites: writes.length > 0,
      writesText: canonical(writes.map((m) => [m.key, m.value])),
    };
  });

  const keysOf = (op: ModelOp): MicroOp[] => {
    checkF(op);
    const ms = parseMicroOps(op, op.input, 'invocation value');
    if (op.known && op.output !== null && op.output !== undefined) ms.push(...parseMicroOps(op, op.output, 'completion value'));
    return ms;
  };

  return {
    name: NAME,
    init: () => EMPTY_FLAT,
    step(state, op) {
      const { mops } = compile(op);
      let cur = state;
      for (let i = 0; i < mops.length; i++) {
        const m = mops[i]!;
        if (m.write) cur = flatSet(cur, m.kc, m.value, initial);
        else {
          const have = flatGet(cur, m.kc, initial);
          if (have !== m.value && !valueEquals(have, m.value)) return undefined;
        }
      }
      return cur;
    },
    hash: flatHash,
    equals: flatEquals,
    mayEnable(candidate, blocked) {
      // A blocked read-only txn waits for a write of one of the values it read.
      const c = compile(candidate);
      if (!c.hasWrites) return false;
      const b = compile(blocked);
      if (b.hasWrites || !blocked.known) return true;
      for (const w of c.mops) {
        if (!w.write) continue;
        for (const r of b.mops) if (r.kc === w.kc && (r.value === null && nilReadAny ? true : valueEquals(r.value, w.value))) return true;
      }
      return false;
    },
    readOnly: (op) => !compile(op).hasWrites,
    crashClass: (op) => `txn|${compile(op).writesText}`,
    partition(ops: readonly ModelOp[]): Partition[] {
      // Union-find over canonical key texts.
      const parent = new Map<string, string>();
      const rawKey = new Map<string, unknown>();
      const find = (k: string): string => {
        let r = k;
        while (parent.get(r) !== r) r = parent.get(r)!;
        let x = k;
        while (x !== r) {
          const next = parent.get(x)!;
          parent.set(x, r);
          x = next;
        }
        return r;
      };
      const opKeys: string[][] = [];
      for (const op of ops) {
        const ks: string[] = [];
        for (const m of keysOf(op)) {
          if (!parent.has(m.kc)) {
            parent.set(m.kc, m.kc);
            rawKey.set(m.kc, m.key);
          }
          ks.push(m.kc);
        }
        opKeys.push(ks);
        for (let i = 1; i < ks.length; i++) {
          const a = find(ks[0]!);
          const b = find(ks[i]!);
          if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
        }
      }
      const groups = new Map<string, ModelOp[]>();
      const noKeys: ModelOp[] = [];
      ops.forEach((op, i) => {
        const ks = opKeys[i]!;
        if (ks.length === 0) {
          noKeys.push(op);
          return;
        }
        const root = find(ks[0]!);
        let g = groups.get(root);
        if (!g) groups.set(root, (g = []));
        g.push(op);
      });
      const members = new Map<string, string[]>();
      for (const k of parent.keys()) {
        const root = find(k);
        let m = members.get(root);
        if (!m) members.set(root, (m = []));
        m.push(k);
      }
      const out: Partition[] = [];
      for (const [root, group] of groups) {
        out.push({ key: members.get(root)!.sort().map((k) => rawKey.get(k)), ops: group });
      }
      if (noKeys.length > 0) out.push({ key: [], ops: noKeys });
      return out;
    },
    describe: (state) => flatDescribe(state, initial),
    describeOp(op) {
      const list = op.known && Array.isArray(op.output) ? op.output : op.input;
      if (!Array.isArray(list)) return `${op.f} ${show(list)}`;
      const parts = list.map((m) => {
        if (!Array.isArray(m) || typeof m[0] !== 'string') return show(m);
        const f = m[0].startsWith(':') ? m[0].slice(1) : m[0];
        const isRead = f === 'r' || f === 'read';
        const v = isRead && list === op.input && (m[2] === null || m[2] === undefined) ? '?' : show(m[2]);
        return `${f} ${showKey(m[1])} ${v}`;
      });
      return `${op.f} [${parts.join(', ')}]`;
    },
  };
}
