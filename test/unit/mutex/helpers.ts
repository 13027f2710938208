/** Builders for lock-workload histories in the lock checker tests: each call appends records and returns their indexes. */
import type { Op, OpType, ProcessId } from '../../../checkers/history/types.js';

/** Appends records with dense indexes and a clock that advances 1 ms per record (unless told otherwise). */
export class HistoryBuilder {
  readonly ops: Op[] = [];
  /** Current time, ns. */
  now = 0;

  constructor(private readonly stepNs: number | null = 1_000_000) {}

  /** Append one record; returns its index. */
  rec(process: ProcessId, type: OpType, f: string, key: unknown, value: unknown = null, extra: Partial<Op> = {}): number {
    const index = this.ops.length;
    const op: Op = { index, process, type, f, value, ...(key !== undefined ? { key } : {}), ...extra };
    if (this.stepNs !== null && op.time === undefined) {
      op.time = this.now;
      this.now += this.stepNs;
    }
    this.ops.push(op);
    return index;
  }

  invoke(p: number, f: string, key: unknown, value: unknown = null): number {
    return this.rec(p, 'invoke', f, key, value);
  }
  ok(p: number, f: string, key: unknown, value: unknown = null): number {
    return this.rec(p, 'ok', f, key, value);
  }
  fail(p: number, f: string, key: unknown, value: unknown = null): number {
    return this.rec(p, 'fail', f, key, value);
  }
  info(p: number, f: string, key: unknown, value: unknown = null): number {
    return this.rec(p, 'info', f, key, value);
  }

  /** A whole op: invoke then completion; returns [invoke, completion]. */
  op(p: number, f: string, key: unknown, type: Exclude<OpType, 'invoke'>, input: unknown = null, output: unknown = null): [number, number] {
    return [this.invoke(p, f, key, input), this.rec(p, type, f, key, output)];
  }
  acquire(p: number, key: unknown, token: number | null = null, type: Exclude<OpType, 'invoke'> = 'ok'): [number, number] {
    return this.op(p, 'acquire', key, type, null, type === 'ok' ? { token } : null);
  }
  release(p: number, key: unknown, type: Exclude<OpType, 'invoke'> = 'ok', output: unknown = null): [number, number] {
    return this.op(p, 'release', key, type, null, output);
  }

  /** A resource read record. */
  resRead(key: unknown, v: { worker: number; token: number | null; accepted: boolean; version?: number; fenced?: boolean; maxToken?: number | null; reason?: string }): number {
    return this.rec('resource', 'info', 'read', key, { fenced: true, maxToken: v.token, ...v });
  }
  /** A resource write record. */
  resWrite(key: unknown, v: { worker: number; token: number | null; accepted: boolean; basedOn?: number; version?: number; add?: unknown; fenced?: boolean; maxToken?: number | null; reason?: string }): number {
    return this.rec('resource', 'info', 'write', key, { fenced: true, maxToken: v.token, ...v });
  }
  /** A nemesis fault: invoke and info. */
  nemesis(f = 'pause'): [number, number] {
    return [this.rec('nemesis', 'invoke', f, undefined, null), this.rec('nemesis', 'info', f, undefined, 'done')];
  }
}

/** Small seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A compact view of a history for assertion messages. */
export function showHistory(h: readonly Op[]): string {
  return h.map((o) => `${o.index} ${String(o.process)} ${o.type} ${o.f} ${o.key === undefined ? '' : String(o.key)} ${JSON.stringify(o.value)}`).join('\n');
}

/** Knobs of a simulated run of the lock workload against a correct lock. */
export interface CorrectLockSim {
  seed: number;
  workers: number;
  /** Scheduling steps (each appends about one record). */
  steps: number;
  locks: number;
  /** Probability that an op fails (certainly no effect) or ends info (effect unknown). */
  pFail: number;
  pInfo: number;
  /** Grants carry fencing tokens; the resource is fenced. */
  tokens: boolean;
  fenced: boolean;
  /** Probability, per step, that the current holder's lease lapses (nobody else gets the lock until it releases). */
  pLapse: number;
}

interface SimWorker {
  process: number;
  phase: 'acquire' | 'read' | 'write' | 'release';
  lock: string;
  token: number | null;
  readVersion?: number;
  added: number;
  inFlight?: { f: string; add?: number };
}

interface SimLock {
  /** The holder: a live worker's process (lapsed: the lease expired but nobody else may take it before it releases), or an abandoned one. */
  holder: { process: number; abandoned: boolean; lapsed: boolean } | null;
  nextToken: number;
  current: number;
  lastVersion: number;
  maxToken: number | null;
}

/**
 * Records a lock-workload history from a correct lock: one holder at a time, grants with growing tokens, a
 * serial resource; random fails, infos (taking effect or not), lapsed leases that nobody exploits, abandoned holds
 * that expire later, nemesis records and ops still in flight at the end. Every lock checker must call it valid.
 */
export function simulateCorrectLock(o: CorrectLockSim): Op[] {
  const r = rng(o.seed);
  const h = new HistoryBuilder(null);
  const names = Array.from({ length: o.locks }, (_, i) => `lock-${i}`);
  const locks = new Map(names.map((n) => [n, { holder: null, nextToken: 1, current: 0, lastVersion: 0, maxToken: null } as SimLock]));
  let nextProcess = o.workers;
  const workers: SimWorker[] = Array.from({ length: o.workers }, (_, i) => ({ process: i, phase: 'acquire', lock: names[0]!, token: null, added: 0 }));
  const time = () => {
    h.now += 1 + Math.floor(r() * 3_000_000);
    return h.now;
  };
  const rec = (process: ProcessId, type: OpType, f: string, key: unknown, value: unknown) => h.rec(process, type, f, key, value, { time: time() });
  const outcome = (): 'ok' | 'fail' | 'info' => {
    const x = r();
    return x < o.pFail ? 'fail' : x < o.pFail + o.pInfo ? 'info' : 'ok';
  };
  /** The guarded resource: applies and logs a read or write (the lock is correct, so it is always the holder's). */
  const resource = (w: SimWorker, f: 'read' | 'write', add?: number): { version: number } => {
    const l = locks.get(w.lock)!;
    const token = w.token;
    if (o.fenced && token !== null && l.maxToken !== null && token < l.maxToken) throw new Error('simulation bug: stale token under a correct lock');
    if (token !== null && (l.maxToken === null || token > l.maxToken)) l.maxToken = token;
    const maxToken = l.maxToken;
    let version = l.current;
    if (f === 'write') {
      version = ++l.lastVersion;
      rec('resource', 'info', 'write', w.lock, { worker: w.process, token, fenced: o.fenced, accepted: true, basedOn: w.readVersion, version, add, maxToken });
      l.current = version;
    } else {
      rec('resource', 'info', 'read', w.lock, { worker: w.process, token, fenced: o.fenced, accepted: true, version, maxToken });
    }
    return { version };
  };
  /** After an info the worker continues as a new process; a hold it had is abandoned (it expires later). */
  const dropClient = (w: SimWorker) => {
    for (const l of locks.values()) if (l.holder && l.holder.process === w.process) l.holder.abandoned = true;
    w.process = nextProcess++;
    w.phase = 'acquire';
    w.token = null;
    delete w.readVersion;
  };

  for (let step = 0; step < o.steps; step++) {
    const x = r();
    if (x < 0.03) {
      rec('nemesis', 'invoke', 'pause', undefined, null);
      rec('nemesis', 'info', 'pause', undefined, 'paused');
      continue;
    }
    if (x < 0.1) {
      // Leases: abandoned holds expire; a live holder's lease may lapse.
      for (const l of locks.values()) {
        if (l.holder?.abandoned) l.holder = null;
        else if (l.holder && r() < o.pLapse) l.holder.lapsed = true;
      }
      continue;
    }
    const w = workers[Math.floor(r() * workers.length)]!;
    if (!w.inFlight) {
      if (w.phase === 'acquire') w.lock = names[Math.floor(r() * names.length)]!;
      const add = w.phase === 'write' ? w.process * 1_000_000 + ++w.added : undefined;
      w.inFlight = { f: w.phase, ...(add !== undefined ? { add } : {}) };
      rec(w.process, 'invoke', w.phase, w.lock, add !== undefined ? { add, delayMs: 0 } : null);
      continue;
    }
    const { f, add } = w.inFlight;
    delete w.inFlight;
    const l = locks.get(w.lock)!;
    const out = outcome();
    const effect = out === 'ok' || (out === 'info' && r() < 0.5);
    switch (f) {
      case 'acquire': {
        const free = l.holder === null;
        if (!free || out === 'fail' || !effect) {
          rec(w.process, out === 'info' ? 'info' : 'fail', 'acquire', w.lock, null);
          if (out === 'info') dropClient(w);
          break;
        }
        const token = o.tokens ? l.nextToken++ : null;
        l.holder = { process: w.process, abandoned: false, lapsed: false };
        if (out === 'info') {
          rec(w.process, 'info', 'acquire', w.lock, null);
          dropClient(w); // the lock is held by an abandoned client until it expires
          break;
        }
        w.token = token;
        rec(w.process, 'ok', 'acquire', w.lock, { token });
        w.phase = 'read';
        break;
      }
      case 'read':
      case 'write': {
        if (out === 'fail') {
          rec(w.process, 'fail', f, w.lock, null);
          w.phase = 'release';
          break;
        }
        const applied = effect ? resource(w, f, add) : undefined;
        if (out === 'info') {
          rec(w.process, 'info', f, w.lock, null);
          dropClient(w);
          break;
        }
        if (f === 'read') {
          w.readVersion = applied!.version;
          rec(w.process, 'ok', 'read', w.lock, { version: applied!.version, counter: applied!.version });
          w.phase = 'write';
        } else {
          rec(w.process, 'ok', 'write', w.lock, { add, version: applied!.version });
          w.phase = 'release';
        }
        break;
      }
      case 'release': {
        if (out === 'fail') {
          rec(w.process, 'fail', 'release', w.lock, null);
          break; // retried
        }
        const wasHeld = !l.holder!.lapsed;
        if (effect) l.holder = null;
        else l.holder!.abandoned = true; // not released: it expires later
        if (out === 'info') {
          rec(w.process, 'info', 'release', w.lock, null);
          dropClient(w);
          break;
        }
        rec(w.process, 'ok', 'release', w.lock, wasHeld ? null : { wasHeld: false });
        w.phase = 'acquire';
        w.token = null;
        break;
      }
    }
  }
  return h.ops;
}
