/**
 * `kv`: a map of independent registers, one op per key.
 *
 * Which key: the op's `key` field when the recorder set one (then input/output are the plain argument/result);
 * otherwise the value is a Jepsen independent tuple: input `[key, arg]`, output `[key, result]`.
 *
 * - `get` / `read` / `r`: legal iff the key's value equals the result (with `nilReadAny`, a null result is legal
 *   in any state). Read-only.
 * - `put` / `write` / `w`: sets the key to arg. Always legal.
 * - `cas`: arg `[old, new]`; legal iff the key holds old, then it holds new.
 * - `append`: new value = String(current ?? "") + String(arg); arg must be a string, number or boolean. Always
 *   legal. Its result (if any) is ignored.
 *
 * Every key starts at `initial` (default null: a read before any write returns null, and the first append to a
 * key gives String(arg)). Append workloads whose reads of unwritten keys return "" want `initial: ""`.
 *
 * partition: one partition per key (its `key` is the key). After partitioning every state holds at most one key,
 * which the flat-array state makes cheap: `[]` (the key holds initial) or `[keyText, value]`.
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
  unknownF,
  type FlatMap,
  type OptionDoc,
} from './common.js';
import { canonical, show, valueEquals } from './value.js';

export const KV_OPTIONS: readonly OptionDoc[] = [
  { name: 'initial', doc: 'the value of every key before it is written (JSON; default null; use "" for append workloads)' },
  { name: 'nilReadAny', doc: 'Knossos semantics: a get that returned null is legal whatever the key holds (default false)' },
];

const NAME = 'kv';
const FS = ['get', 'put', 'cas', 'append'];

const enum Kind {
  Read,
  Write,
  Cas,
  Append,
}

interface CompiledKv {
  readonly kind: Kind;
  readonly kc: string;
  readonly key: unknown;
  /** write: the value; append: the text to append; cas: new. */
  readonly arg: unknown;
  /** cas: old. */
  readonly from: unknown;
  /** read (known): the value read. */
  readonly result: unknown;
  readonly crashClass: string;
}

function kindOf(op: ModelOp): Kind {
  switch (op.f) {
    case 'get':
    case 'read':
    case 'r':
      return Kind.Read;
    case 'put':
    case 'write':
    case 'w':
      return Kind.Write;
    case 'cas':
      return Kind.Cas;
    case 'append':
      return Kind.Append;
    default:
      throw unknownF(NAME, op, FS);
  }
}

/** Key, argument and result of an op: from `op.key`, or from Jepsen independent tuples. */
function splitKey(op: ModelOp, kind: Kind): { key: unknown; arg: unknown; result: unknown } {
  if (op.key !== undefined && op.key !== null) return { key: op.key, arg: op.input, result: op.output };
  const input = op.input;
  if (!Array.isArray(input) || input.length !== 2) {
    throw opError(NAME, op, `${op.f} has no key field and its value ${show(input)} is not a [key, arg] tuple`, 'expected a "key" field or a Jepsen independent value [key, arg]');
  }
  const key = input[0];
  let result: unknown;
  if (kind === Kind.Read && op.known) {
    const out = op.output;
    if (!Array.isArray(out) || out.length !== 2) {
      throw opError(NAME, op, `${op.f} result ${show(out)} is not a [key, value] tuple`, `expected [${show(key)}, value]`);
    }
    if (!valueEquals(out[0], key)) throw opError(NAME, op, `${op.f} result key ${show(out[0])} differs from its invocation key ${show(key)}`);
    result = out[1];
  }
  return { key, arg: input[1], result };
}

/** The `kv` model. */
export function kvModel(opts?: ModelOptions): Model<FlatMap> {
  const o = readOptions(NAME, opts, KV_OPTIONS);
  checkJson(NAME, 'option initial', orNull(o.initial));
  const initial = orNull(o.initial);
  const nilReadAny = boolOption(NAME, o, 'nilReadAny');

  const compile = perOp((op: ModelOp): CompiledKv => {
    const kind = kindOf(op);
    const { key, arg, result } = splitKey(op, kind);
    const kc = keyText(key);
    let from: unknown = null;
    let value: unknown = orNull(arg);
    if (kind === Kind.Cas) {
      if (!Array.isArray(arg) || arg.length !== 2) throw opError(NAME, op, `cas argument ${show(arg)}`, 'expected [old, new]');
      from = orNull(arg[0]);
      value = orNull(arg[1]);
    } else if (kind === Kind.Append) {
      if (typeof arg !== 'string' && typeof arg !== 'number' && typeof arg !== 'boolean' && typeof arg !== 'bigint') {
        throw opError(NAME, op, `append argument ${show(arg)}`, 'expected a string (or number) to append');
      }
      value = String(arg);
    }
    const f = ['read', 'write', 'cas', 'append'][kind]!;
    return { kind, kc, key: orNull(key), arg: value, from, result: orNull(result), crashClass: `${f}|${canonical(value)}|${canonical(from)}|${kc}` };
  });

  return {
    name: NAME,
    init: () => EMPTY_FLAT,
    step(state, op) {
      const c = compile(op);
      switch (c.kind) {
        case Kind.Read: {
          if (!op.known) return state;
          const r = c.result;
          if (nilReadAny && r === null) return state;
          const have = flatGet(state, c.kc, initial);
          return have === r || valueEquals(have, r) ? state : undefined;
        }
        case Kind.Write:
          return flatSet(state, c.kc, c.arg, initial);
        case Kind.Cas: {
          const have = flatGet(state, c.kc, initial);
          if (have !== c.from && !valueEquals(have, c.from)) return undefined;
          return flatSet(state, c.kc, c.arg, initial);
        }
        case Kind.Append: {
          const have = flatGet(state, c.kc, initial);
          const base = have === null || have === undefined ? '' : String(have);
          return flatSet(state, c.kc, base + (c.arg as string), initial);
        }
      }
    },
    hash: flatHash,
    equals: flatEquals,
    readOnly: (op) => {
      const c = compile(op);
      return c.kind === Kind.Read || (c.kind === Kind.Cas && valueEquals(c.from, c.arg));
    },
    unconditional: (op) => {
      const k = compile(op).kind;
      return k === Kind.Write || k === Kind.Append;
    },
    crashClass: (op) => compile(op).crashClass,
    mayEnable(candidate, blocked) {
      // A blocked get needs the value it returned, a blocked cas its old value, on one key.
      const b = compile(blocked);
      const c = compile(candidate);
      if (c.kind === Kind.Read || c.kc !== b.kc) return false;
      if (b.kind !== Kind.Read && b.kind !== Kind.Cas) return true;
      if (b.kind === Kind.Read && (!blocked.known || (nilReadAny && b.result === null))) return true;
      const needed = b.kind === Kind.Read ? b.result : b.from;
      if (c.kind === Kind.Append) return typeof needed === 'string' && needed.endsWith(c.arg as string);
      return valueEquals(c.arg, needed);
    },
    relevant(state, blocked, candidate) {
      // A get that cannot be linearized yet waits for a value; an op helps if it moves the key towards it.
      const b = compile(blocked);
      const c = compile(candidate);
      if (b.kind !== Kind.Read || c.kc !== b.kc || typeof b.result !== 'string') return false;
      const target = b.result;
      const have = flatGet(state, c.kc, initial);
      const base = have === null || have === undefined ? '' : String(have);
      if (c.kind === Kind.Append) return target.startsWith(base + (c.arg as string));
      if (c.kind === Kind.Write || c.kind === Kind.Cas) return typeof c.arg === 'string' && target.startsWith(c.arg);
      return false;
    },
    partition(ops: readonly ModelOp[]): Partition[] {
      const groups = new Map<string, Partition>();
      for (const op of ops) {
        const c = compile(op);
        let g = groups.get(c.kc);
        if (!g) groups.set(c.kc, (g = { key: c.key, ops: [] }));
        g.ops.push(op);
      }
      return [...groups.values()];
    },
    describe: (state) => flatDescribe(state, initial),
    describeOp(op) {
      let c: CompiledKv;
      try {
        c = compile(op);
      } catch {
        return `${op.f} ${show(op.input)}`;
      }
      const k = showKey(c.key);
      switch (c.kind) {
        case Kind.Read:
          return `${op.f} ${k} -> ${op.known ? show(c.result) : '?'}`;
        case Kind.Cas:
          return `cas ${k} ${show(c.from)}->${show(c.arg)}`;
        default:
          return `${op.f} ${k} ${show(c.arg)}`;
      }
    },
  };
}
