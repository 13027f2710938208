/**
 * `register`: one value. `read` (alias `r`) returns it, `write` (alias `w`) replaces it. The state is the value
 * itself (a JSON value, never undefined), compared by content. `cas-register` (cas-register.ts) is this model plus
 * compare-and-set.
 */
import type { Model, ModelOp, ModelOptions } from '../model.js';
import { boolOption, checkJson, opError, orNull, readOptions, unknownF, type OptionDoc } from './common.js';
import { canonical, hashValue, show, valueEquals } from './value.js';

export const REGISTER_OPTIONS: readonly OptionDoc[] = [
  { name: 'initial', doc: 'the value before any write (JSON; default null)' },
  { name: 'nilReadAny', doc: 'Knossos semantics: a read that returned null is legal in any state (default false)' },
];

export const CAS_REGISTER_OPTIONS: readonly OptionDoc[] = REGISTER_OPTIONS;

/** Shared implementation of `register` and `cas-register`. */
export function makeRegister(name: 'register' | 'cas-register', withCas: boolean, opts?: ModelOptions): Model<unknown> {
  const o = readOptions(name, opts, withCas ? CAS_REGISTER_OPTIONS : REGISTER_OPTIONS);
  checkJson(name, 'option initial', o.initial === undefined ? null : o.initial);
  const initial = orNull(o.initial);
  const nilReadAny = boolOption(name, o, 'nilReadAny');
  const fs = withCas ? ['read', 'write', 'cas'] : ['read', 'write'];

  const casArgs = (op: ModelOp): readonly unknown[] => {
    const v = op.input;
    if (!Array.isArray(v) || v.length !== 2) throw opError(name, op, `cas input ${show(v)}`, 'expected [old, new]');
    return v;
  };

  /** 0 read, 1 write, 2 cas; throws for anything else. */
  const kind = (op: ModelOp): 0 | 1 | 2 => {
    switch (op.f) {
      case 'read':
      case 'r':
        return 0;
      case 'write':
      case 'w':
        return 1;
      case 'cas':
        if (withCas) return 2;
        break;
      default:
        break;
    }
    throw unknownF(name, op, fs);
  };

  return {
    name,
    init: () => initial,
    step(state, op) {
      switch (op.f) {
        case 'read':
        case 'r': {
          if (!op.known) return state;
          const v = op.output;
          if (state === v) return state;
          if (nilReadAny && (v === null || v === undefined)) return state;
          return valueEquals(state, v) ? state : undefined;
        }
        case 'write':
        case 'w': {
          const v = op.input;
          if (state === v) return state;
          return v === undefined ? null : v;
        }
        default: {
          if (kind(op) !== 2) return undefined; // unreachable: kind throws for unknown fs
          const [from, to] = casArgs(op);
          return valueEquals(state, from) ? orNull(to) : undefined;
        }
      }
    },
    hash: (state) => hashValue(state),
    equals: (a, b) => a === b || valueEquals(a, b),
    // A cas whose old and new values are equal changes nothing wherever it is legal: it is a conditional read.
    readOnly: (op) => {
      const k = kind(op);
      if (k !== 2) return k === 0;
      const [from, to] = casArgs(op);
      return valueEquals(from, to);
    },
    unconditional: (op) => kind(op) === 1,
    mayEnable(candidate, blocked) {
      // A blocked read needs the value it returned; a blocked cas needs its old value. Only writes and cas
      // produce values.
      const k = kind(candidate);
      if (k === 0) return false;
      const produced = k === 1 ? candidate.input : casArgs(candidate)[1];
      const b = kind(blocked);
      if (b === 1) return true;
      const needed = b === 0 ? blocked.output : casArgs(blocked)[0];
      if (b === 0 && (!blocked.known || (nilReadAny && (needed === null || needed === undefined)))) return true;
      return valueEquals(orNull(produced), orNull(needed));
    },
    crashClass(op) {
      const k = kind(op);
      return k === 0 ? 'read' : k === 1 ? `write|${canonical(op.input)}` : `cas|${canonical(casArgs(op))}`;
    },
    describe: (state) => show(state),
    describeOp(op) {
      switch (op.f) {
        case 'read':
        case 'r':
          return `${op.f} -> ${op.known ? show(op.output) : '?'}`;
        case 'write':
        case 'w':
          return `${op.f} ${show(op.input)}`;
        case 'cas':
          if (Array.isArray(op.input) && op.input.length === 2) return `cas ${show(op.input[0])}->${show(op.input[1])}`;
          return `cas ${show(op.input)}`;
        default:
          return `${op.f} ${show(op.input)}`;
      }
    },
  };
}

/** The `register` model: read/write of one value. */
export function registerModel(opts?: ModelOptions): Model<unknown> {
  return makeRegister('register', false, opts);
}
