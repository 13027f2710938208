/**
 * Records histories from a simulated atomic object under random concurrency, failures and crashes. Every op
 * takes effect at one instant between its invocation and its completion, so every history it produces is
 * linearizable by construction: the ground truth for property tests and the input for benchmarks.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { Op, OpType } from '../../checkers/history/types.js';

/** Object kinds the simulator can play, named as the models that judge them. */
export type SimKind = 'register' | 'cas-register' | 'kv' | 'mutex' | 'set' | 'fifo-queue' | 'unordered-queue' | 'multi-register';

export const SIM_KINDS: readonly SimKind[] = ['register', 'cas-register', 'kv', 'mutex', 'set', 'fifo-queue', 'unordered-queue', 'multi-register'];

/** Shape of one simulated run; the seed makes it reproducible. */
export interface SimOptions {
  kind: SimKind;
  seed: number;
  /** Concurrent client workers. */
  clients: number;
  /** Invocations to record. */
  ops: number;
  /** Probability that an op's outcome is lost (recorded as `info`, taking effect or not). */
  crashRate?: number;
  /** Keys for kv and multi-register. */
  keys?: number;
  /** Values written are drawn from 0..values-1 (registers, kv). */
  values?: number;
  /** kv: include appends (string concatenation) besides get/put/cas; default true. */
  appends?: boolean;
  /** Leave ops still in flight at the end without a completion (another form of unknown outcome). */
  leaveOpen?: boolean;
  /** Debugging aid: mark each invocation with `linAt`, the order in which the object applied it. */
  recordOrder?: boolean;
}

interface Pending {
  client: number;
  process: number;
  f: string;
  input: unknown;
  key?: unknown;
  applied: boolean;
  type?: OpType;
  output?: unknown;
  invokeAt?: number;
}

type Rng = { next(n: number): number; chance(p: number): boolean };

function makeRng(seed: number): Rng {
  const g = xoroshiro128plus(seed);
  return {
    next: (n) => uniformInt(g, 0, n - 1),
    chance: (p) => p > 0 && uniformInt(g, 0, 999_999) < p * 1_000_000,
  };
}

/** The sequential object each kind simulates: generate an op for a client, apply it atomically. */
interface Sim {
  gen(rng: Rng, client: number): { f: string; input: unknown; key?: unknown };
  apply(op: Pending): { type: 'ok' | 'fail'; output: unknown };
}

function simFor(o: SimOptions, rng: Rng): Sim {
  const values = o.values ?? 5;
  const keys = o.keys ?? 4;
  switch (o.kind) {
    case 'register':
    case 'cas-register': {
      let reg: unknown = null;
      const cas = o.kind === 'cas-register';
      return {
        gen: () => {
          const r = rng.next(cas ? 3 : 2);
          if (r === 0) return { f: 'read', input: null };
          if (r === 1) return { f: 'write', input: rng.next(values) };
          return { f: 'cas', input: [rng.next(values), rng.next(values)] };
        },
        apply: (op) => {
          if (op.f === 'read') return { type: 'ok', output: reg };
          if (op.f === 'write') {
            reg = op.input;
            return { type: 'ok', output: op.input };
          }
          const [from, to] = op.input as [number, number];
          if (reg !== from) return { type: 'fail', output: op.input };
          reg = to;
          return { type: 'ok', output: op.input };
        },
      };
    }
    case 'kv': {
      const kv = new Map<string, string>();
      return {
        gen: () => {
          const key = `k${rng.next(keys)}`;
          const r = rng.next(o.appends === false ? 3 : 4);
          if (r === 0) return { f: 'get', input: null, key };
          if (r === 2 && o.appends === false) return { f: 'cas', input: [String(rng.next(values)), String(rng.next(values))], key };
          if (r === 1) return { f: 'put', input: String(rng.next(values)), key };
          if (r === 2) return { f: 'append', input: String(rng.next(values)), key };
          return { f: 'cas', input: [String(rng.next(values)), String(rng.next(values))], key };
        },
        apply: (op) => {
          const k = op.key as string;
          const cur = kv.get(k) ?? '';
          if (op.f === 'get') return { type: 'ok', output: cur };
          if (op.f === 'put') kv.set(k, op.input as string);
          else if (op.f === 'append') kv.set(k, cur + (op.input as string));
          else {
            const [from, to] = op.input as [string, string];
            if (cur !== from) return { type: 'fail', output: op.input };
            kv.set(k, to);
          }
          return { type: 'ok', output: op.input };
        },
      };
    }
    case 'mutex': {
      let holder = -1;
      const wants = new Map<number, boolean>(); // client -> believes it holds
      return {
        gen: (_r, client) => ({ f: wants.get(client) ? 'release' : 'acquire', input: client }),
        apply: (op) => {
          if (op.f === 'acquire') {
            if (holder !== -1) return { type: 'fail', output: op.input };
            holder = op.client;
            wants.set(op.client, true);
            return { type: 'ok', output: op.input };
          }
          if (holder !== op.client) {
            wants.set(op.client, false);
            return { type: 'fail', output: op.input };
          }
          holder = -1;
          wants.set(op.client, false);
          return { type: 'ok', output: op.input };
        },
      };
    }
    case 'set': {
      const set: number[] = [];
      let nextValue = 0;
      return {
        gen: () => (rng.next(2) === 0 ? { f: 'read', input: null } : { f: 'add', input: nextValue++ }),
        apply: (op) => {
          if (op.f === 'read') return { type: 'ok', output: [...set].sort((a, b) => a - b) };
          set.push(op.input as number);
          return { type: 'ok', output: op.input };
        },
      };
    }
    case 'fifo-queue':
    case 'unordered-queue': {
      const q: number[] = [];
      let nextValue = 0;
      return {
        gen: () => (rng.next(2) === 0 ? { f: 'dequeue', input: null } : { f: 'enqueue', input: nextValue++ }),
        apply: (op) => {
          if (op.f === 'enqueue') {
            q.push(op.input as number);
            return { type: 'ok', output: op.input };
          }
          return { type: 'ok', output: q.length > 0 ? q.shift()! : null };
        },
      };
    }
    case 'multi-register': {
      const regs = new Map<string, unknown>();
      return {
        gen: () => {
          const n = 1 + rng.next(3);
          const txn: unknown[] = [];
          for (let i = 0; i < n; i++) {
            const k = `k${rng.next(keys)}`;
            txn.push(rng.next(2) === 0 ? ['r', k, null] : ['w', k, rng.next(values)]);
          }
          return { f: 'txn', input: txn };
        },
        apply: (op) => {
          const out = (op.input as [string, string, unknown][]).map(([m, k, v]) => {
            if (m === 'r') return [m, k, regs.has(k) ? regs.get(k) : null];
            regs.set(k, v);
            return [m, k, v];
          });
          return { type: 'ok', output: out };
        },
      };
    }
  }
}

/** Record one simulated history: ops in real-time order with index and time. */
export function simulateHistory(o: SimOptions): Op[] {
  const rng = makeRng(o.seed);
  const sim = simFor(o, rng);
  const crashRate = o.crashRate ?? 0;
  const history: Op[] = [];
  const processOf = Array.from({ length: o.clients }, (_, i) => i);
  const idle: number[] = processOf.map((_, i) => i);
  const inflight: Pending[] = [];
  let invoked = 0;
  let time = 0;
  let applied = 0;
  const emit = (process: number, type: OpType, f: string, value: unknown, key: unknown) => {
    time += 1 + rng.next(1000);
    const op: Op = { index: history.length, time, process, type, f, value };
    if (key !== undefined) op.key = key;
    history.push(op);
  };
  const finish = (i: number, p: Pending) => {
    inflight[i] = inflight[inflight.length - 1]!;
    inflight.pop();
    idle.push(p.client);
  };
  while (invoked < o.ops || inflight.length > 0) {
    const canInvoke = invoked < o.ops && idle.length > 0;
    if (canInvoke && (inflight.length === 0 || rng.next(2) === 0)) {
      const c = idle.splice(rng.next(idle.length), 1)[0]!;
      const g = sim.gen(rng, c);
      const p: Pending = { client: c, process: processOf[c]!, f: g.f, input: g.input, key: g.key, applied: false };
      inflight.push(p);
      invoked++;
      p.invokeAt = history.length;
      emit(p.process, 'invoke', p.f, p.input, p.key);
      continue;
    }
    if (invoked >= o.ops && o.leaveOpen) break;
    const i = rng.next(inflight.length);
    const p = inflight[i]!;
    if (!p.applied) {
      if (rng.chance(crashRate / 2)) {
        // Lost before it took effect: the client cannot tell.
        emit(p.process, 'info', p.f, p.input, p.key);
        processOf[p.client]! += o.clients;
        finish(i, p);
        continue;
      }
      const r = sim.apply(p);
      p.applied = true;
      if (o.recordOrder) history[p.invokeAt!]!.linAt = applied;
      applied++;
      p.type = r.type;
      p.output = r.output;
      continue;
    }
    if (rng.chance(crashRate / 2)) {
      // Took effect, but the reply was lost.
      emit(p.process, 'info', p.f, p.input, p.key);
      processOf[p.client]! += o.clients;
    } else {
      emit(p.process, p.type!, p.f, p.output, p.key);
    }
    finish(i, p);
  }
  return history;
}
