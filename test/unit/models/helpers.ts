/** Shared helpers for the model unit tests: op construction and an immutability-checking step. */
import assert from 'node:assert/strict';
import type { Model, ModelOp } from '../../../checkers/linearizable/model.js';
import { ModelConfigError } from '../../../checkers/linearizable/model.js';

let nextId = 0;

/** A ModelOp with defaults: known, process 0, fresh id/index. */
export function op(f: string, input: unknown, output?: unknown, extra: Partial<ModelOp> = {}): ModelOp {
  const id = nextId++;
  return deepFreeze({ id, index: id, process: 0, f, input, output, known: true, ...extra });
}

/** An op with unknown outcome (Jepsen info): output undefined, known false. */
export function crashed(f: string, input: unknown, extra: Partial<ModelOp> = {}): ModelOp {
  return op(f, input, undefined, { known: false, ...extra });
}

/** Freeze a value and everything reachable from it, so any mutation throws (ES modules run in strict mode). */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

/** Step with the state and op frozen, and check the input state's content is unchanged afterwards. */
export function step<S>(m: Model<S>, s: S, o: ModelOp): S | undefined {
  const before = snapshot(s);
  deepFreeze(s);
  const out = m.step(s, o);
  assert.equal(snapshot(s), before, 'step changed the state it was given');
  return out;
}

/** Apply ops in order from init; throws (fails the test) if one is illegal. */
export function run<S>(m: Model<S>, ops: ModelOp[], from: S = m.init()): S {
  let s = from;
  for (const o of ops) {
    const n = step(m, s, o);
    assert.notEqual(n, undefined, `op ${m.describeOp?.(o) ?? o.f} was illegal in state ${m.describe(s)}`);
    s = n as S;
  }
  return s;
}

/** Apply ops in order; returns undefined as soon as one is illegal. */
export function tryRun<S>(m: Model<S>, ops: ModelOp[], from: S = m.init()): S | undefined {
  let s: S | undefined = from;
  for (const o of ops) {
    if (s === undefined) return undefined;
    s = step(m, s, o);
  }
  return s;
}

function snapshot(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Set ? [...x] : x));
}

/** Assert two states are equal by the model and hash equal. */
export function assertSame<S>(m: Model<S>, a: S, b: S): void {
  assert.ok(m.equals(a, b), `expected equal states: ${m.describe(a)} vs ${m.describe(b)}`);
  assert.ok(m.equals(b, a), 'equals is not symmetric');
  assert.equal(m.hash(a), m.hash(b), `equal states hash differently: ${m.describe(a)}`);
}

/** Assert two states differ by the model. */
export function assertDifferent<S>(m: Model<S>, a: S, b: S): void {
  assert.ok(!m.equals(a, b), `expected different states, both ${m.describe(a)}`);
  assert.ok(!m.equals(b, a), 'equals is not symmetric');
}

/** Assert `fn` throws a ModelConfigError whose message matches every pattern. */
export function assertConfigError(fn: () => unknown, ...patterns: (RegExp | string)[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelConfigError, `expected ModelConfigError, got ${String(e)}`);
    for (const p of patterns) {
      if (typeof p === 'string') assert.ok(e.message.includes(p), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(p)}`);
      else assert.match(e.message, p);
    }
    return true;
  });
}

/** Small seeded PRNG (mulberry32) for randomized tests. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}
