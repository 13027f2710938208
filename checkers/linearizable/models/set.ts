/**
 * `set`: a set of JSON values, compared by content.
 *
 * - `add` v: always legal; adds v (no change if present).
 * - `remove` v: removes v if present. By default it is always legal (idempotent, like SREM or Set.delete); with
 *   `strictRemove` it is legal only when v is present (for APIs whose ok remove means "was there").
 * - `read` -> elements (a JSON array, or an EDN set): legal iff the elements are exactly the set's, in any order.
 *   A read that lists an element twice is illegal: a set never holds duplicates. Read-only.
 *
 * State: the elements' canonical texts, sorted, with a precomputed order-independent hash.
 */
import { ModelConfigError, type Model, type ModelOp, type ModelOptions } from '../model.js';
import {
  asCollection,
  boolOption,
  checkJson,
  opError,
  perOp,
  readOptions,
  removeAt,
  showElems,
  sortedFind,
  sortedInsert,
  stringsEqual,
  unknownF,
  type OptionDoc,
} from './common.js';
import { canonical, hashString, show } from './value.js';

export const SET_OPTIONS: readonly OptionDoc[] = [
  { name: 'initial', doc: 'the elements before any op (JSON array; default [])' },
  { name: 'strictRemove', doc: 'a remove is legal only if the element is present (default false: removing an absent element is a no-op)' },
];

export interface SetState {
  /** Canonical texts of the elements, sorted, no duplicates. */
  readonly elems: readonly string[];
  /** Sum of the elements' hashes (order-independent). */
  readonly sum: number;
}

const NAME = 'set';

const enum Kind {
  Add,
  Remove,
  Read,
}

interface CompiledSetOp {
  readonly kind: Kind;
  /** add/remove: the element's canonical text. */
  readonly elem: string;
  /** known read: sorted canonical texts (duplicates kept, so a read listing one twice never matches a state). */
  readonly read?: readonly string[];
}

function makeState(elems: readonly string[]): SetState {
  let sum = 0;
  for (const e of elems) sum = (sum + hashString(e)) | 0;
  return { elems, sum };
}

/** The `set` model. */
export function setModel(opts?: ModelOptions): Model<SetState> {
  const o = readOptions(NAME, opts, SET_OPTIONS);
  const strictRemove = boolOption(NAME, o, 'strictRemove');
  const init = o.initial === undefined || o.initial === null ? [] : o.initial;
  const initItems = asCollection(init);
  if (initItems === undefined) throw new ModelConfigError(`set model: option initial must be an array of elements, got ${show(init)}`);
  checkJson(NAME, 'option initial', initItems);
  const initial = makeState([...new Set(initItems.map((x) => canonical(x)))].sort());

  const compile = perOp((op: ModelOp): CompiledSetOp => {
    switch (op.f) {
      case 'add':
        return { kind: Kind.Add, elem: canonical(op.input) };
      case 'remove':
        return { kind: Kind.Remove, elem: canonical(op.input) };
      case 'read': {
        if (!op.known) return { kind: Kind.Read, elem: '' };
        const items = asCollection(op.output);
        if (items === undefined) throw opError(NAME, op, `read result ${show(op.output)} is not a collection`, 'expected an array of elements');
        return { kind: Kind.Read, elem: '', read: items.map((x) => canonical(x)).sort() };
      }
      default:
        throw unknownF(NAME, op, ['add', 'remove', 'read']);
    }
  });

  return {
    name: NAME,
    init: () => initial,
    step(state, op) {
      const c = compile(op);
      switch (c.kind) {
        case Kind.Add: {
          const i = sortedFind(state.elems, c.elem);
          if (i >= 0) return state;
          return { elems: sortedInsert(state.elems, c.elem), sum: (state.sum + hashString(c.elem)) | 0 };
        }
        case Kind.Remove: {
          const i = sortedFind(state.elems, c.elem);
          if (i < 0) return strictRemove ? undefined : state;
          return { elems: removeAt(state.elems, i), sum: (state.sum - hashString(c.elem)) | 0 };
        }
        case Kind.Read:
          if (!op.known) return state;
          return stringsEqual(state.elems, c.read!) ? state : undefined;
      }
    },
    hash: (s) => (Math.imul(s.sum, 0x9e3779b1) ^ s.elems.length) | 0,
    equals: (a, b) => a === b || (a.sum === b.sum && stringsEqual(a.elems, b.elems)),
    readOnly: (op) => compile(op).kind === Kind.Read,
    unconditional: (op) => compile(op).kind === Kind.Add,
    mayEnable: (candidate, blocked) => {
      // A blocked read waits for the last missing element to be added or the last extra one removed.
      const b = compile(blocked);
      const c = compile(candidate);
      if (c.kind === Kind.Read) return false;
      if (b.kind !== Kind.Read || !b.read) return true;
      return b.read.includes(c.elem) === (c.kind === Kind.Add);
    },
    relevant: (_state, blocked, candidate) => {
      const b = compile(blocked);
      const c = compile(candidate);
      if (b.kind !== Kind.Read || !b.read || c.kind === Kind.Read) return false;
      return b.read.includes(c.elem) === (c.kind === Kind.Add);
    },
    crashClass: (op) => {
      const c = compile(op);
      return c.kind === Kind.Add ? `add|${c.elem}` : c.kind === Kind.Remove ? `remove|${c.elem}` : 'read';
    },
    describe: (s) => `#{${showElems(s.elems)}}`,
    describeOp(op) {
      if (op.f === 'read') {
        if (!op.known) return 'read -> ?';
        const items = asCollection(op.output);
        return items ? `read -> #{${showElems(items.map((x) => canonical(x)))}}` : `read -> ${show(op.output)}`;
      }
      return `${op.f} ${show(op.input)}`;
    },
  };
}
