/**
 * Helpers shared by the built-in models: option checking, op-shape errors, a per-op compile cache, and a small
 * sorted flat map (the state of the keyed models). Not part of the public `Model` API.
 */
import { ModelConfigError, type ModelOp, type ModelOptions } from '../model.js';
import { canonical, hashString, hashValue, mix, show, valueEquals } from './value.js';

/** One option a model accepts, with the line of help the CLI prints. */
export interface OptionDoc {
  readonly name: string;
  readonly doc: string;
}

/** Check `opts` is an object whose every key is one of `docs`; returns it (or `{}`). */
export function readOptions(model: string, opts: ModelOptions | undefined | null, docs: readonly OptionDoc[]): ModelOptions {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new ModelConfigError(`${model} model: options must be an object like {"initial": null}, got ${show(opts)}`);
  }
  const valid = docs.map((d) => d.name);
  for (const k of Object.keys(opts)) {
    if (!valid.includes(k)) {
      throw new ModelConfigError(`${model} model: unknown option ${JSON.stringify(k)}; valid options: ${valid.join(', ')}`);
    }
  }
  return opts;
}

/** A boolean switch: true/false (or the strings "true"/"false", as a CLI might pass them); absent = `dflt`. */
export function boolOption(model: string, opts: ModelOptions, name: string, dflt = false): boolean {
  const v = opts[name];
  if (v === undefined || v === null) return dflt;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new ModelConfigError(`${model} model: option ${name} must be true or false, got ${show(v)}`);
}

/** Throw unless `v` is a JSON-like value (null, boolean, finite number, string, bigint, arrays and plain objects of them). */
export function checkJson(model: string, what: string, v: unknown): void {
  const bad = findNonJson(v, 0);
  if (bad !== undefined) throw new ModelConfigError(`${model} model: ${what} must be a JSON value; ${bad}`);
}

function findNonJson(v: unknown, depth: number): string | undefined {
  if (depth > 100) return 'it is nested more than 100 levels deep';
  if (v === null) return undefined;
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return undefined;
    case 'number':
      return Number.isFinite(v) ? undefined : `${String(v)} is not a finite number`;
    case 'object': {
      if (Array.isArray(v)) {
        for (const x of v) {
          const bad = findNonJson(x, depth + 1);
          if (bad !== undefined) return bad;
        }
        return undefined;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return `got an instance of ${(v as object).constructor?.name ?? 'an unknown class'}`;
      for (const x of Object.values(v as object)) {
        const bad = findNonJson(x, depth + 1);
        if (bad !== undefined) return bad;
      }
      return undefined;
    }
    default:
      return `got a ${typeof v}`;
  }
}

/** The error for an op the model cannot interpret: `register model: unknown f "incr" at history index 12; expected read or write`. */
export function opError(model: string, op: ModelOp, problem: string, expected?: string): ModelConfigError {
  return new ModelConfigError(`${model} model: ${problem} at history index ${op.index}${expected ? `; ${expected}` : ''}`);
}

/** The error for an op whose f the model does not know. */
export function unknownF(model: string, op: ModelOp, fs: readonly string[]): ModelConfigError {
  const list = fs.length <= 2 ? fs.join(' or ') : `${fs.slice(0, -1).join(', ')} or ${fs[fs.length - 1]}`;
  return opError(model, op, `unknown f ${JSON.stringify(op.f)}`, `expected ${list}`);
}

/**
 * Memoise a per-op interpretation (parsing, canonical strings) so the hot path does it once per op, not once per
 * step. Errors are not cached: they abort the check anyway.
 */
export function perOp<T>(compile: (op: ModelOp) => T): (op: ModelOp) => T {
  const cache = new WeakMap<ModelOp, T>();
  return (op) => {
    let c = cache.get(op);
    if (c === undefined) {
      c = compile(op);
      cache.set(op, c);
    }
    return c;
  };
}

/** Undefined (a missing value) is stored as null: `undefined` from `step` means "illegal". */
export function orNull(v: unknown): unknown {
  return v === undefined ? null : v;
}

const IDENT = /^[A-Za-z_][\w\-.:/?!*+<>=]*$/;

/** A key for display: plain identifiers without quotes (`x`), anything else as JSON. */
export function showKey(k: unknown): string {
  if (typeof k === 'string' && IDENT.test(k) && k !== 'null' && k !== 'true' && k !== 'false') return k;
  return show(k);
}

/** Display form of a key given its canonical text. */
export function showCanonicalKey(kc: string): string {
  if (kc.startsWith('"')) {
    try {
      return showKey(JSON.parse(kc));
    } catch {
      return kc;
    }
  }
  return kc;
}

/** Canonical text of a key (map key for "same key"); strings get a fast path. */
export function keyText(k: unknown): string {
  return canonical(k === undefined ? null : k);
}

// ---------------------------------------------------------------------------------------------------------------
// Flat map: a sorted array [k0, v0, k1, v1, ...] from canonical key text to value. Keys whose value equals the
// model's initial value are absent, so equal contents have exactly one representation. The single-key case
// (what every partition of a keyed model touches) is an array of length 0 or 2.

/** Sorted flat map from canonical key text to value; never mutated once returned. */
export type FlatMap = readonly unknown[];

export const EMPTY_FLAT: FlatMap = Object.freeze([]);

/** Position (even) of `k` in `m`, or `-(insertion position) - 1`. */
export function flatFind(m: FlatMap, k: string): number {
  let lo = 0;
  let hi = m.length >>> 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const mk = m[mid << 1] as string;
    if (mk === k) return mid << 1;
    if (mk < k) lo = mid + 1;
    else hi = mid;
  }
  return -(lo << 1) - 1;
}

/** Value of `k`, or `initial` when absent. */
export function flatGet(m: FlatMap, k: string, initial: unknown): unknown {
  const i = m.length === 2 ? (m[0] === k ? 0 : -1) : flatFind(m, k);
  return i >= 0 ? m[i + 1] : initial;
}

/** `m` with `k` set to `v` (a new array), or `m` itself when `k` already holds `v`. */
export function flatSet(m: FlatMap, k: string, v: unknown, initial: unknown): FlatMap {
  const i = flatFind(m, k);
  if (i >= 0) {
    const cur = m[i + 1];
    if (cur === v || valueEquals(cur, v)) return m;
    if (valueEquals(v, initial)) {
      if (m.length === 2) return EMPTY_FLAT;
      const out = m.slice();
      out.splice(i, 2);
      return out;
    }
    const out = m.slice();
    out[i + 1] = v;
    return out;
  }
  if (valueEquals(v, initial)) return m;
  if (m.length === 0) return [k, v];
  const at = -i - 1;
  const out = m.slice();
  out.splice(at, 0, k, v);
  return out;
}

export function flatHash(m: FlatMap): number {
  let h = 0x6c8e9cf5 ^ m.length;
  for (let i = 0; i < m.length; i += 2) h = mix(mix(h, hashString(m[i] as string)), hashValue(m[i + 1]));
  return h;
}

export function flatEquals(a: FlatMap, b: FlatMap): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] !== b[i]) return false;
    const x = a[i + 1];
    const y = b[i + 1];
    if (x !== y && !valueEquals(x, y)) return false;
  }
  return true;
}

/** `{x=1, y="ab"}; other keys null`, truncated after 20 keys. */
export function flatDescribe(m: FlatMap, initial: unknown): string {
  const parts: string[] = [];
  const n = m.length >>> 1;
  for (let i = 0; i < Math.min(n, 20); i++) parts.push(`${showCanonicalKey(m[2 * i] as string)}=${show(m[2 * i + 1])}`);
  if (n > 20) parts.push(`... (+${n - 20} more keys)`);
  return n === 0 ? `every key ${show(initial)}` : `{${parts.join(', ')}}; other keys ${show(initial)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Sorted string arrays (multisets of canonical texts) for set and queue states.

/** Position of `s` in sorted `a`, or `-(insertion position) - 1`. */
export function sortedFind(a: readonly string[], s: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = a[mid]!;
    if (x === s) return mid;
    if (x < s) lo = mid + 1;
    else hi = mid;
  }
  return -lo - 1;
}

/** New sorted array with `s` inserted (duplicates allowed). */
export function sortedInsert(a: readonly string[], s: string): string[] {
  const i = sortedFind(a, s);
  const at = i >= 0 ? i : -i - 1;
  const out = a.slice();
  out.splice(at, 0, s);
  return out;
}

/** New array without position `i`. */
export function removeAt<T>(a: readonly T[], i: number): T[] {
  const out = a.slice();
  out.splice(i, 1);
  return out;
}

export function stringsEqual(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Elements of a collection as the models display them: `1 2 "a"`, truncated after 20. */
export function showElems(elems: readonly string[]): string {
  const shown = elems.slice(0, 20).join(' ');
  return elems.length > 20 ? `${shown} ... (+${elems.length - 20} more)` : shown;
}

/** A collection value from JSON (array) or EDN (array or Set), or undefined if it is neither. */
export function asCollection(v: unknown): readonly unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  return undefined;
}
