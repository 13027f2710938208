/**
 * Simulated transactional stores for the transactional checker's tests and benchmark (txn-anomalies.md §1-§8).
 *
 * `simulateTxns` runs list-append or rw-register transactions from several single-threaded processes against an
 * in-memory store whose isolation level is chosen by `mode`. Transactions really interleave: each one is a small
 * state machine (invoke, start, micro-op steps, commit, completion) and a seeded scheduler picks which runnable step
 * happens next, so the history carries true concurrency, aborted (`fail`) and unknown (`info`) outcomes. Because
 * the simulator executed the transactions, it knows what it produced; the checker's verdicts are compared to that:
 *
 * - `serializable`: each transaction takes effect atomically at one instant between its invocation and completion
 *   (or never, or for some `info` txns after their completion), so histories are strict-serializable.
 * - `snapshot-isolation`: reads come from a snapshot taken after the invocation; at commit a write-write conflict
 *   with a transaction that committed after the snapshot aborts (`fail`, first committer wins). Write skew can
 *   happen, and the simulator lists every committed pair that exhibited it (`writeSkews`).
 * - `read-committed`: each micro-op is its own step and reads the latest committed state; writes are buffered and
 *   applied atomically at commit. Reads never follow the txn's own append to the same key in this mode (a read of
 *   "committed state plus my appends" can show a list order that never existed, which list-append rightly flags).
 * - `read-uncommitted`: writes go straight into the shared state (visible before commit, never rolled back, even
 *   when the txn then reports `fail`); one writer at a time holds a write token from its first to its last write,
 *   so the write order is a total order (no G0). The simulator lists aborted reads (an ok txn read a `fail` txn's
 *   element) and intermediate reads (an ok txn read a non-final append of an ok writer).
 *
 * `generateBigListAppend` is the benchmark's fast path: a million strict-serializable list-append transactions in
 * seconds, with Elle-style key retirement so lists stay short.
 *
 * `parseMops`, `TxnScript`, `concurrentTxns` and `sequentialTxns` build small hand-written histories (Elle-style
 * micro-op shorthand such as `ax1ry12`) for the anomaly, explanation and EDN tests.
 */
import type { Op, OpType } from '../../checkers/history/types.js';

// ---------------------------------------------------------------------------------------------------------------
// Seeded randomness

/** A small deterministic PRNG (sfc32 seeded through splitmix32): fast enough for a million txns. */
export interface Rng {
  /** Uniform float in [0, 1). */
  float(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
}

/** A Rng fully determined by `seed` (any integer). */
export function makeRng(seed: number): Rng {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next();
  return {
    float: () => next() / 4294967296,
    int: (n) => Math.floor((next() / 4294967296) * n),
    chance: (p) => p > 0 && next() / 4294967296 < p,
  };
}

/** How keys are chosen: every key equally, key i with weight 2^-i (Elle's default), or weight 1/(i+1). */
export type KeyDist = 'uniform' | 'exponential' | 'zipf';

/** A sampler of key positions 0..n-1 under `dist`. */
export function keyPicker(rng: Rng, n: number, dist: KeyDist): () => number {
  if (dist === 'uniform') return () => rng.int(n);
  const weights = Array.from({ length: n }, (_, i) => (dist === 'exponential' ? 2 ** -i : 1 / (i + 1)));
  const cum: number[] = [];
  let total = 0;
  for (const w of weights) cum.push((total += w));
  return () => {
    const x = rng.float() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The simulator

/** The isolation level the simulated store implements (see the file comment). */
export type TxnSimMode = 'serializable' | 'snapshot-isolation' | 'read-committed' | 'read-uncommitted';
/** Every mode, for tests that sweep them. */
export const TXN_SIM_MODES: readonly TxnSimMode[] = ['serializable', 'snapshot-isolation', 'read-committed', 'read-uncommitted'];

/** The micro-op language: lists with appends, or registers with blind writes. */
export type TxnSimWorkload = 'list-append' | 'rw-register';

/** Shape of one simulated run; the seed makes it reproducible. */
export interface TxnSimOptions {
  seed: number;
  mode: TxnSimMode;
  /** Default `list-append`. */
  workload?: TxnSimWorkload;
  /** Transactions to invoke (not counting the final read). */
  txns: number;
  /** Concurrent client workers (each single-threaded). */
  processes: number;
  /** Distinct keys (numbers 0..keys-1, or "k0".. with `stringKeys`); default 5. */
  keys?: number;
  stringKeys?: boolean;
  /** Micro-ops per txn, inclusive bounds; default 1..4. */
  minMops?: number;
  maxMops?: number;
  keyDist?: KeyDist;
  /** Probability that a micro-op is a read; default 0.5. */
  readProb?: number;
  /** Probability that a txn aborts on its own (recorded `fail`; no effect except in read-uncommitted). */
  failRate?: number;
  /** Probability that a txn's outcome is lost (`info`): crashed before commit, committed, or (serializable) later. */
  infoRate?: number;
  /** list-append: end each txn with a read of every key it appended to (makes every element observed). */
  readAfterWrite?: boolean;
  /** After all txns completed, one more txn reads every key (makes every committed element observed). */
  finalRead?: boolean;
  /** Stop when the last txn was invoked, leaving txns in flight without a completion (unknown outcome). */
  leaveOpen?: boolean;
}

/** What the simulator knows it produced, alongside the history. */
export interface TxnSimResult {
  history: Op[];
  /**
   * snapshot-isolation: committed (ok) concurrent pairs that each read a key the other wrote without seeing the
   * other's write (rw anti-dependencies both ways): write skew. Pairs of completion indices, lower first.
   */
  writeSkews: [number, number][];
  /** read-uncommitted: ok txns (completion index) that read an element appended by a txn that reported `fail`. */
  abortedReads: number[];
  /** read-uncommitted: ok txns (completion index) whose read ended in a non-final append of an ok writer. */
  intermediateReads: number[];
  stats: { ok: number; fail: number; info: number; open: number; conflicts: number; infoApplied: number };
}

type Key = number | string;
type MopV = [string, Key, unknown];

/** One transaction's life inside the simulator. */
interface SimTxn {
  id: number;
  worker: number;
  process: number;
  /** The invocation's micro-ops (reads carry null). */
  input: MopV[];
  /** Micro-ops with read results, filled as the txn runs. */
  output: MopV[];
  steps: Step[];
  next: number;
  invokeIndex: number;
  completeIndex: number;
  outcome?: 'ok' | 'fail' | 'info';
  applied: boolean;
  /** snapshot-isolation: commit sequence number seen by the snapshot, and the txn's own. */
  snapshot: number;
  commitSeq: number;
  /** Keys read (trusted reads) and written, for the write-skew truth. */
  readKeys: Set<string>;
  writeKeys: Set<string>;
  /** read-uncommitted: position of the last write mop (the write token is released after it). */
  lastWrite: number;
}

type Step = { kind: 'start' } | { kind: 'mop'; i: number } | { kind: 'commit' } | { kind: 'complete' };

const kstr = (k: Key): string => `${typeof k}:${String(k)}`;

/** Record one simulated history (see the file comment for what each mode guarantees). */
export function simulateTxns(o: TxnSimOptions): TxnSimResult {
  const workload = o.workload ?? 'list-append';
  const lists = workload === 'list-append';
  const rng = makeRng(o.seed);
  const nKeys = o.keys ?? 5;
  const keyName = (i: number): Key => (o.stringKeys ? `k${i}` : i);
  const pickKey = keyPicker(rng, nKeys, o.keyDist ?? 'uniform');
  const minMops = o.minMops ?? 1;
  const maxMops = Math.max(minMops, o.maxMops ?? 4);
  const readProb = o.readProb ?? 0.5;
  const failRate = o.failRate ?? 0;
  const infoRate = o.infoRate ?? 0;
  if (o.processes < 1 || !Number.isInteger(o.processes)) throw new Error(`simulateTxns: processes must be a positive integer, got ${o.processes}`);
  if (minMops < 1) throw new Error(`simulateTxns: minMops must be at least 1, got ${minMops}`);

  const history: Op[] = [];
  let time = 0;
  const emit = (process: number, type: OpType, value: unknown): number => {
    time += 1 + rng.int(1_000_000);
    history.push({ index: history.length, time, process, type, f: 'txn', value });
    return history.length - 1;
  };

  // Committed state. Lists only grow; registers keep every committed version for snapshots.
  const listState = new Map<string, number[]>();
  const regState = new Map<string, unknown>();
  /** Per key: [commitSeq, list length or register value] after each commit touching it (snapshot reads). */
  const versions = new Map<string, [number, unknown][]>();
  let commitSeq = 0;
  const nextValue = new Map<string, number>();
  /** Who appended/wrote each element: "key|value" -> txn. */
  const writerOf = new Map<string, SimTxn>();
  /** read-uncommitted write token. */
  let tokenHolder: SimTxn | undefined;

  const stats = { ok: 0, fail: 0, info: 0, open: 0, conflicts: 0, infoApplied: 0 };
  const committed: SimTxn[] = [];
  const all: SimTxn[] = [];

  const genMops = (): MopV[] => {
    const n = minMops + rng.int(maxMops - minMops + 1);
    const mops: MopV[] = [];
    const appended = new Set<string>();
    for (let i = 0; i < n; i++) {
      const k = keyName(pickKey());
      if (rng.chance(readProb)) {
        // read-committed: never read a key after appending to it (see the file comment).
        if (o.mode === 'read-committed' && lists && appended.has(kstr(k))) continue;
        mops.push(['r', k, null]);
      } else {
        const v = (nextValue.get(kstr(k)) ?? 0) + 1;
        nextValue.set(kstr(k), v);
        mops.push([lists ? 'append' : 'w', k, v]);
        appended.add(kstr(k));
      }
    }
    if (lists && o.readAfterWrite && o.mode !== 'read-committed') {
      for (const ks of appended) {
        const k = mops.find((m) => kstr(m[1]) === ks)![1];
        let last = -1;
        mops.forEach((m, i) => kstr(m[1]) === ks && (last = i));
        if (mops[last]![0] !== 'r') mops.push(['r', k, null]);
      }
    }
    return mops;
  };

  const stepsFor = (mops: MopV[]): Step[] => {
    switch (o.mode) {
      case 'serializable':
        return [{ kind: 'commit' }, { kind: 'complete' }];
      case 'snapshot-isolation':
        return [{ kind: 'start' }, { kind: 'commit' }, { kind: 'complete' }];
      default:
        return [...mops.map((_, i): Step => ({ kind: 'mop', i })), { kind: 'commit' }, { kind: 'complete' }];
    }
  };

  // ---- reading and writing the store

  const readCommitted = (k: Key): unknown => (lists ? [...(listState.get(kstr(k)) ?? [])] : (regState.get(kstr(k)) ?? null));

  const readSnapshot = (k: Key, snapshot: number): unknown => {
    const vs = versions.get(kstr(k)) ?? [];
    let found: unknown = lists ? 0 : null;
    for (const [seq, v] of vs) if (seq <= snapshot) found = v;
    return lists ? (listState.get(kstr(k)) ?? []).slice(0, found as number) : found;
  };

  const writeNow = (t: SimTxn, k: Key, v: unknown): void => {
    const ks = kstr(k);
    if (lists) {
      const l = listState.get(ks) ?? [];
      l.push(v as number);
      listState.set(ks, l);
    } else {
      regState.set(ks, v);
    }
    writerOf.set(`${ks}|${String(v)}`, t);
  };

  const recordVersion = (k: Key, seq: number): void => {
    const ks = kstr(k);
    const vs = versions.get(ks) ?? [];
    vs.push([seq, lists ? (listState.get(ks) ?? []).length : regState.get(ks)]);
    versions.set(ks, vs);
  };

  /** Run the whole txn atomically against the committed state (serializable; also deferred info commits). */
  const executeAtomically = (t: SimTxn): void => {
    const seq = ++commitSeq;
    t.input.forEach(([f, k, v], i) => {
      if (f === 'r') {
        t.output[i] = ['r', k, readCommitted(k)];
        t.readKeys.add(kstr(k));
      } else {
        writeNow(t, k, v);
        t.writeKeys.add(kstr(k));
      }
    });
    for (const ks of t.writeKeys) recordVersion(t.input.find((m) => kstr(m[1]) === ks)![1], seq);
    t.applied = true;
  };

  /** snapshot-isolation commit: reads from the snapshot plus own writes; first committer wins. */
  const commitSnapshot = (t: SimTxn): boolean => {
    const writes = new Set(t.input.filter((m) => m[0] !== 'r').map((m) => kstr(m[1])));
    for (const ks of writes) {
      const vs = versions.get(ks) ?? [];
      if (vs.length > 0 && vs[vs.length - 1]![0] > t.snapshot) return false;
    }
    const own = new Map<string, unknown>();
    t.input.forEach(([f, k, v], i) => {
      const ks = kstr(k);
      if (f === 'r') {
        const snap = readSnapshot(k, t.snapshot);
        const mine = own.get(ks);
        t.output[i] = ['r', k, lists ? [...(snap as number[]), ...((mine as number[] | undefined) ?? [])] : mine !== undefined ? mine : snap];
        if (mine === undefined) t.readKeys.add(ks);
      } else {
        own.set(ks, lists ? [...((own.get(ks) as number[] | undefined) ?? []), v] : v);
        t.writeKeys.add(ks);
      }
    });
    const seq = ++commitSeq;
    t.commitSeq = seq;
    for (const [f, k, v] of t.input) if (f !== 'r') writeNow(t, k, v);
    for (const ks of writes) recordVersion(t.input.find((m) => kstr(m[1]) === ks)![1], seq);
    t.applied = true;
    return true;
  };

  /** read-committed / read-uncommitted: one micro-op; returns false when it must wait (write token). */
  const runMop = (t: SimTxn, i: number): boolean => {
    const [f, k, v] = t.input[i]!;
    const ks = kstr(k);
    if (f === 'r') {
      if (o.mode === 'read-committed') {
        const own = t.input.slice(0, i).filter((m) => m[0] !== 'r' && kstr(m[1]) === ks);
        const base = readCommitted(k);
        t.output[i] = ['r', k, lists ? base : own.length > 0 ? own[own.length - 1]![2] : base];
      } else {
        t.output[i] = ['r', k, readCommitted(k)];
      }
      t.readKeys.add(ks);
      return true;
    }
    t.writeKeys.add(ks);
    if (o.mode === 'read-committed') return true; // buffered until commit
    if (tokenHolder !== undefined && tokenHolder !== t) return false;
    tokenHolder = t;
    writeNow(t, k, v);
    if (i === t.lastWrite) tokenHolder = undefined;
    return true;
  };

  const applyBuffered = (t: SimTxn): void => {
    for (const [f, k, v] of t.input) if (f !== 'r') writeNow(t, k, v);
    t.applied = true;
  };

  // ---- the scheduler

  const workerProcess = Array.from({ length: o.processes }, (_, i) => i);
  const busy: (SimTxn | undefined)[] = Array.from({ length: o.processes }, () => undefined);
  const deferred: SimTxn[] = [];
  let invoked = 0;

  const invoke = (w: number): void => {
    const input = genMops();
    const t: SimTxn = {
      id: all.length,
      worker: w,
      process: workerProcess[w]!,
      input,
      output: input.map((m) => [...m] as MopV),
      steps: stepsFor(input),
      next: 0,
      invokeIndex: -1,
      completeIndex: -1,
      applied: false,
      snapshot: 0,
      commitSeq: 0,
      readKeys: new Set(),
      writeKeys: new Set(),
      lastWrite: input.reduce((acc, m, i) => (m[0] !== 'r' ? i : acc), -1),
    };
    all.push(t);
    busy[w] = t;
    invoked++;
    t.invokeIndex = emit(t.process, 'invoke', input.map((m) => [...m]));
  };

  const commit = (t: SimTxn): void => {
    const r = rng.float();
    if (r < failRate) {
      t.outcome = 'fail';
      return;
    }
    let lostReply = false;
    if (r < failRate + infoRate) {
      const how = rng.int(3);
      if (how === 0) {
        t.outcome = 'info'; // crashed before committing: no effect (read-uncommitted: already visible)
        return;
      }
      if (how === 2 && o.mode === 'serializable') {
        t.outcome = 'info'; // commits at some later point, after its completion was recorded
        deferred.push(t);
        return;
      }
      lostReply = true;
    }
    switch (o.mode) {
      case 'serializable':
        executeAtomically(t);
        break;
      case 'snapshot-isolation':
        if (!commitSnapshot(t)) {
          stats.conflicts++;
          t.outcome = lostReply ? 'info' : 'fail';
          return;
        }
        break;
      case 'read-committed':
        applyBuffered(t);
        break;
      case 'read-uncommitted':
        t.applied = true;
        break;
    }
    t.outcome = lostReply ? 'info' : 'ok';
    if (lostReply) stats.infoApplied++;
  };

  const complete = (t: SimTxn): void => {
    const outcome = t.outcome!;
    stats[outcome]++;
    t.completeIndex = emit(t.process, outcome, outcome === 'ok' ? t.output.map((m) => [...m]) : t.input.map((m) => [...m]));
    if (outcome === 'ok') committed.push(t);
    busy[t.worker] = undefined;
    if (outcome === 'info') workerProcess[t.worker]! += o.processes; // a crashed process never invokes again
  };

  /** Try the txn's next step; false when it cannot run now. */
  const step = (t: SimTxn): boolean => {
    const s = t.steps[t.next]!;
    switch (s.kind) {
      case 'start':
        t.snapshot = commitSeq;
        break;
      case 'mop':
        if (!runMop(t, s.i)) return false;
        break;
      case 'commit':
        commit(t);
        break;
      case 'complete':
        complete(t);
        break;
    }
    t.next++;
    return true;
  };

  for (;;) {
    const actions: (() => boolean)[] = [];
    for (let w = 0; w < o.processes; w++) {
      const t = busy[w];
      if (t === undefined) {
        if (invoked < o.txns) actions.push(() => (invoke(w), true));
      } else {
        const s = t.steps[t.next]!;
        const blocked = s.kind === 'mop' && o.mode === 'read-uncommitted' && t.input[s.i]![0] !== 'r' && tokenHolder !== undefined && tokenHolder !== t;
        if (!blocked) actions.push(() => step(t));
      }
    }
    for (let i = 0; i < deferred.length; i++) {
      const d = deferred[i]!;
      actions.push(() => {
        deferred.splice(deferred.indexOf(d), 1);
        executeAtomically(d);
        stats.infoApplied++;
        return true;
      });
    }
    if (o.leaveOpen && invoked >= o.txns) break;
    if (actions.length === 0) break;
    actions[rng.int(actions.length)]!();
  }
  for (const t of busy) if (t !== undefined) stats.open++;

  if (o.finalRead && !o.leaveOpen) {
    for (const d of deferred.splice(0)) executeAtomically(d);
    const keys = Array.from({ length: nKeys }, (_, i) => keyName(i));
    const process = Math.max(-1, ...workerProcess) + 1;
    emit(process, 'invoke', keys.map((k) => ['r', k, null]));
    emit(process, 'ok', keys.map((k) => ['r', k, readCommitted(k)]));
    stats.ok++;
  }

  return {
    history,
    writeSkews: o.mode === 'snapshot-isolation' ? findWriteSkews(committed) : [],
    abortedReads: o.mode === 'read-uncommitted' && lists ? dirtyReads(committed, writerOf, 'aborted') : [],
    intermediateReads: o.mode === 'read-uncommitted' && lists ? dirtyReads(committed, writerOf, 'intermediate') : [],
    stats,
  };
}

/** Committed concurrent pairs where each read a key the other wrote (neither saw the other: SI snapshots). */
function findWriteSkews(committed: readonly SimTxn[]): [number, number][] {
  const out: [number, number][] = [];
  const meets = (a: Set<string>, b: Set<string>): boolean => [...a].some((k) => b.has(k));
  for (let i = 0; i < committed.length; i++) {
    for (let j = i + 1; j < committed.length; j++) {
      const a = committed[i]!;
      const b = committed[j]!;
      const concurrent = a.snapshot < b.commitSeq && b.snapshot < a.commitSeq;
      if (concurrent && meets(a.readKeys, b.writeKeys) && meets(b.readKeys, a.writeKeys)) {
        out.push([Math.min(a.completeIndex, b.completeIndex), Math.max(a.completeIndex, b.completeIndex)]);
      }
    }
  }
  return out;
}

/** read-uncommitted truths: ok readers of a failed txn's element, or of an ok writer's non-final append. */
function dirtyReads(committed: readonly SimTxn[], writerOf: Map<string, SimTxn>, what: 'aborted' | 'intermediate'): number[] {
  const out: number[] = [];
  for (const t of committed) {
    const hit = t.output.some(([f, k, v]) => {
      if (f !== 'r') return false;
      const ks = kstr(k);
      const list = v as number[];
      if (what === 'aborted') return list.some((e) => writerOf.get(`${ks}|${e}`)?.outcome === 'fail');
      if (list.length === 0) return false;
      const last = list[list.length - 1]!;
      const w = writerOf.get(`${ks}|${last}`);
      if (w === undefined || w === t || w.outcome !== 'ok') return false;
      const mine = w.input.filter((m) => m[0] === 'append' && kstr(m[1]) === ks).map((m) => m[2]);
      return mine.indexOf(last) < mine.length - 1;
    });
    if (hit) out.push(t.completeIndex);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The benchmark's big histories

/** Shape of a big generated list-append history. */
export interface BigListAppendOptions {
  seed: number;
  txns: number;
  /** Concurrent processes (10–50 in the benchmark). */
  processes: number;
  /** Live keys at any time (10–100 in the benchmark). */
  keys: number;
  minMops?: number;
  maxMops?: number;
  /** Appends per key before it retires and a fresh key replaces it (Elle's max-writes-per-key); default 32. */
  maxWritesPerKey?: number;
  readProb?: number;
}

/**
 * A strict-serializable list-append history of `txns` transactions, fast: each txn applies atomically at its
 * completion, which a random process-picking scheduler interleaves with other processes' invocations. Keys are
 * integers; a key retires after `maxWritesPerKey` appends so reads stay short.
 */
export function generateBigListAppend(o: BigListAppendOptions): Op[] {
  const rng = makeRng(o.seed);
  const minMops = o.minMops ?? 1;
  const maxMops = o.maxMops ?? 5;
  const maxWrites = o.maxWritesPerKey ?? 32;
  const readProb = o.readProb ?? 0.5;
  const live: number[] = Array.from({ length: o.keys }, (_, i) => i);
  let nextKey = o.keys;
  const lists = new Map<number, number[]>();
  /** Values handed out per key (assigned at invocation, so unique even for txns that fail). */
  const issued = new Map<number, number>();
  /** The last read result per key, shared by later reads while the list is unchanged (reads are never mutated). */
  const lastRead = new Map<number, number[]>();
  const history: Op[] = new Array<Op>(o.txns * 2);
  let n = 0;
  let time = 0;
  const pendingInput: (MopV[] | undefined)[] = new Array(o.processes).fill(undefined);
  let invoked = 0;
  let completed = 0;
  while (completed < o.txns) {
    const p = rng.int(o.processes);
    const input = pendingInput[p];
    time += 1 + rng.int(1000);
    if (input === undefined) {
      if (invoked >= o.txns) continue;
      const m = minMops + rng.int(maxMops - minMops + 1);
      const mops: MopV[] = new Array(m);
      for (let i = 0; i < m; i++) {
        const slot = rng.int(live.length);
        const k = live[slot]!;
        if (rng.float() < readProb) {
          mops[i] = ['r', k, null];
        } else {
          // The key retires once it has handed out maxWrites values.
          const v = issued.get(k) ?? 0;
          issued.set(k, v + 1);
          mops[i] = ['append', k, v + 1];
          if (v + 1 >= maxWrites) live[slot] = nextKey++;
        }
      }
      pendingInput[p] = mops;
      history[n] = { index: n, time, process: p, type: 'invoke', f: 'txn', value: mops };
      n++;
      invoked++;
    } else {
      const out: MopV[] = new Array(input.length);
      for (let i = 0; i < input.length; i++) {
        const mop = input[i]!;
        let l = lists.get(mop[1] as number);
        if (mop[0] === 'r') {
          const k = mop[1] as number;
          let seen = lastRead.get(k);
          if (seen === undefined || seen.length !== (l?.length ?? 0)) lastRead.set(k, (seen = l === undefined ? [] : l.slice()));
          out[i] = ['r', k, seen];
        } else {
          if (l === undefined) lists.set(mop[1] as number, (l = []));
          l.push(mop[2] as number);
          out[i] = mop;
        }
      }
      pendingInput[p] = undefined;
      history[n] = { index: n, time, process: p, type: 'ok', f: 'txn', value: out };
      n++;
      completed++;
    }
  }
  return history;
}

// ---------------------------------------------------------------------------------------------------------------
// Hand-written histories

/** A micro-op as written in a hand-made history. */
export type HandMop = [f: string, key: unknown, value: unknown];

/**
 * Micro-ops from a compact spec in the style of Elle's tests, so a minimal history fits on one line:
 * `a` append, `r` read, `w` write; a key is one letter (other than a, r, w); each digit after a read is one element
 * of the list read (list-append) or the value read (rw-register); `_` reads nil. `ax1ry12` is
 * `[[append x 1] [r y [1 2]]]`; `rx` reads the empty list (list-append) or nil (rw-register). Spaces are ignored.
 */
export function parseMops(spec: string, workload: TxnSimWorkload = 'list-append'): HandMop[] {
  const out: HandMop[] = [];
  let cur: HandMop | undefined;
  const s = spec.replace(/\s+/g, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === 'a' || c === 'r' || c === 'w') {
      if (cur) out.push(cur);
      const f = c === 'a' ? 'append' : c;
      if ((f === 'append' && workload !== 'list-append') || (f === 'w' && workload !== 'rw-register')) {
        throw new Error(`parseMops: "${c}" at ${i} of ${JSON.stringify(spec)} does not belong to ${workload}`);
      }
      const k = s[i + 1];
      if (k === undefined || !/[b-qs-vx-z]/.test(k)) throw new Error(`parseMops: expected a key letter after "${c}" at ${i} of ${JSON.stringify(spec)}`);
      cur = [f, k, f === 'r' ? (workload === 'list-append' ? [] : null) : undefined];
      i++;
    } else if (/[0-9_]/.test(c)) {
      if (!cur) throw new Error(`parseMops: value ${c} at ${i} of ${JSON.stringify(spec)} before any micro-op`);
      const v = c === '_' ? null : Number(c);
      if (cur[0] === 'r' && workload === 'list-append') {
        if (v === null) cur[2] = null;
        else (cur[2] as number[]).push(v);
      } else {
        if (cur[2] !== undefined && cur[2] !== null) throw new Error(`parseMops: two values for one micro-op at ${i} of ${JSON.stringify(spec)}`);
        cur[2] = v;
      }
    } else {
      throw new Error(`parseMops: unexpected ${JSON.stringify(c)} at ${i} of ${JSON.stringify(spec)}`);
    }
  }
  if (cur) out.push(cur);
  for (const m of out) if (m[2] === undefined) throw new Error(`parseMops: ${m[0]} of ${String(m[1])} without a value in ${JSON.stringify(spec)}`);
  return out;
}

/** What a hand-written txn's invocation carries: its micro-ops with every read's value replaced by nil. */
export function invocationOf(mops: readonly HandMop[]): HandMop[] {
  return mops.map(([f, k, v]) => [f, k, f === 'r' ? null : v]);
}

/**
 * Builds a history step by step with named transactions, so tests can say "T1 invokes, T2 invokes, T1 completes"
 * and then ask for the indices the checker will name. Each op gets `index` = its position and `time` =
 * position × `timeStepNs` unless given.
 */
export class TxnScript {
  readonly history: Op[] = [];
  private readonly txns = new Map<string, { process: number; mops: HandMop[]; invoke: number; complete?: number }>();

  constructor(
    private readonly workload: TxnSimWorkload = 'list-append',
    private readonly timeStepNs = 1_000_000,
  ) {}

  /** Invoke txn `name` on `process`; `value` is its ok completion (spec string or micro-ops). */
  invoke(name: string, process: number, value: string | HandMop[], time?: number): this {
    if (this.txns.has(name)) throw new Error(`TxnScript: ${name} invoked twice`);
    const mops = typeof value === 'string' ? parseMops(value, this.workload) : value;
    this.txns.set(name, { process, mops, invoke: this.push(process, 'invoke', invocationOf(mops), time) });
    return this;
  }

  /** Complete txn `name`: ok carries the completion value, fail and info repeat the invocation's. */
  complete(name: string, type: 'ok' | 'fail' | 'info' = 'ok', time?: number): this {
    const t = this.txns.get(name);
    if (!t) throw new Error(`TxnScript: ${name} completes before it was invoked`);
    if (t.complete !== undefined) throw new Error(`TxnScript: ${name} completes twice`);
    t.complete = this.push(t.process, type, type === 'ok' ? t.mops : invocationOf(t.mops), time);
    return this;
  }

  /** invoke + complete right away. */
  txn(name: string, process: number, value: string | HandMop[], type: 'ok' | 'fail' | 'info' = 'ok'): this {
    return this.invoke(name, process, value).complete(name, type);
  }

  /** The history index the checker names this txn by: its completion's, else its invocation's. */
  idx(name: string): number {
    const t = this.txns.get(name);
    if (!t) throw new Error(`TxnScript: no txn ${name}`);
    return t.complete ?? t.invoke;
  }

  /** Sorted indices of several txns (anomaly witnesses are compared as sets). */
  idxs(...names: string[]): number[] {
    return names.map((n) => this.idx(n)).sort((a, b) => a - b);
  }

  private push(process: number, type: OpType, value: unknown, time?: number): number {
    const index = this.history.length;
    this.history.push({ index, time: time ?? index * this.timeStepNs, process, type, f: 'txn', value: structuredClone(value) });
    return index;
  }
}

/** All txns invoked first (in order), then all completed (in order): no realtime or process edges between them. */
export function concurrentTxns(txns: readonly { name: string; process?: number; value: string | HandMop[]; type?: 'ok' | 'fail' | 'info' }[], workload: TxnSimWorkload = 'list-append'): TxnScript {
  const s = new TxnScript(workload);
  txns.forEach((t, i) => s.invoke(t.name, t.process ?? i, t.value));
  for (const t of txns) s.complete(t.name, t.type ?? 'ok');
  return s;
}

/** Each txn invoked and completed before the next: realtime (and, on one process, process) order between all. */
export function sequentialTxns(txns: readonly { name: string; process?: number; value: string | HandMop[]; type?: 'ok' | 'fail' | 'info' }[], workload: TxnSimWorkload = 'list-append'): TxnScript {
  const s = new TxnScript(workload);
  txns.forEach((t, i) => s.txn(t.name, t.process ?? i, t.value, t.type ?? 'ok'));
  return s;
}
