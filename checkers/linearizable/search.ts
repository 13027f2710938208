/**
 * Wing–Gong–Lowe backtracking search for one partition: is there a total order of the ops, consistent with
 * real time, that the model accepts? Ops are taken from a linked list of call/return entries (lifted when
 * linearized, put back on backtrack); a memo of (linearized set, state) configurations prunes repeated work.
 *
 * Beyond the textbook search:
 * - The linearized set is hashed incrementally (XOR of two random 32-bit lanes per op), so a memo probe costs
 *   O(1) plus a comparison of only the words around the frontier.
 * - Read-only ops (per the model) that are legal now are linearized without branching: moving a state-preserving
 *   op earlier never breaks a valid order.
 * - Ops with unknown outcome are optional, tried only after the known ops, and among equivalent ones (same
 *   `crashClass`) only the earliest-invoked unused one is tried, which removes their symmetric blow-up.
 */
import type { Model, ModelOp } from './model.js';

/** One op as the search sees it: model view plus its place in real time. */
export interface SearchOp {
  op: ModelOp;
  /** Position of the invocation in the history. */
  callPos: number;
  /** Position of the completion; Infinity when the outcome is unknown. */
  returnPos: number;
}

/** Limits after which the search gives up with 'unknown' instead of running out of time or memory. */
export interface SearchBudget {
  /** `performance.now()` value after which the search stops. */
  deadline: number;
  /** Estimated bytes the memo may hold. */
  memoBytes: number;
  /** True when the process is close to running out of heap: the search stops with 'unknown' rather than crash. */
  heapExhausted?: () => boolean;
}

/** What the search found for one partition. */
export type SearchOutcome =
  | { result: 'ok'; stats: SearchStats }
  | { result: 'unknown'; reason: 'time' | 'memory'; stats: SearchStats }
  | { result: 'fail'; stats: SearchStats; witness: FailureWitness };

/** Effort figures, for benchmarks and for judging how hard a history was. */
export interface SearchStats {
  /** Ops entered into the search (after dropping read-only ops of unknown outcome). */
  ops: number;
  /** Ops with unknown outcome among them. */
  crashed: number;
  /** Configurations entered (linearization steps taken). */
  steps: number;
  /** Steps undone. */
  backtracks: number;
  /** Memo entries at the end. */
  memoEntries: number;
  /** Estimated memo bytes at the end. */
  memoBytes: number;
}

/** Deepest point the search reached in an invalid partition, for counterexamples. */
export interface FailureWitness {
  /** Ops of the longest linearizable prefix found, in linearization order. */
  prefix: ModelOp[];
  /** Model state after that prefix. */
  state: unknown;
  /** Known-outcome ops that could have come next at that point; none leads to a valid order. */
  next: { op: ModelOp; legal: boolean }[];
  /** Of `next`, the op whose completion came first: it had to be linearized before anything else could. */
  blocking: ModelOp;
  /** Set when an op was found that no order can ever make possible (no op could produce a state it accepts). */
  impossible?: ModelOp;
}

const BUDGET_CHECK_INTERVAL = 512;
/** How many blocked ops per node are tested for being hopeless (dead-end detection). */
const MAX_WAITING = 8;
/** Memo entries examined per probe for dominance by a subset of crashed ops (bounded: pruning less is safe). */
const DOMINANCE_SCAN = 8;
/** Rough per-entry cost of a memo entry beyond its arena words and key arrays (state reference, state object share). */
const MEMO_ENTRY_OVERHEAD = 24;
/** Typed-array and JS-array limits: stay well clear of them. */
const MEMO_MAX_ENTRIES = 100_000_000;

/** Small seeded PRNG (xorshift32) for the per-op hash lanes: reproducible, no global state. */
function xorshift(seed: number): () => number {
  let x = seed | 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x | 0;
  };
}

/** Run the search over one partition's ops. `ops` may be in any order. */
export function searchPartition(model: Model, input: readonly SearchOp[], budget: SearchBudget, seed = 1): SearchOutcome {
  // --- Preprocess: drop read-only ops of unknown outcome (they constrain nothing), order the rest.
  const readOnly = model.readOnly ? model.readOnly.bind(model) : undefined;
  const kept = input.filter((s) => s.op.known || !(readOnly && readOnly(s.op)));
  const known = kept.filter((s) => s.op.known).sort((a, b) => a.callPos - b.callPos);
  const crashed = kept.filter((s) => !s.op.known).sort((a, b) => a.callPos - b.callPos);
  const K = known.length;
  const C = crashed.length;
  const N = K + C;
  const all = known.concat(crashed); // internal op id = index here: known ops first, then crashed
  const ops: ModelOp[] = all.map((s) => s.op);
  const callPos = new Float64Array(N);
  for (let i = 0; i < N; i++) callPos[i] = all[i]!.callPos;
  const isRead = new Uint8Array(N);
  if (readOnly) for (let i = 0; i < K; i++) isRead[i] = readOnly(ops[i]!) ? 1 : 0;
  const relevant = model.relevant ? model.relevant.bind(model) : undefined;
  const isBlind = new Uint8Array(N);
  if (model.unconditional) for (let i = 0; i < N; i++) isBlind[i] = model.unconditional(ops[i]!) ? 1 : 0;

  const stats: SearchStats = { ops: N, crashed: C, steps: 0, backtracks: 0, memoEntries: 0, memoBytes: 0 };
  if (K === 0) return { result: 'ok', stats };

  // Crash classes: per class, members in call order; only member number usedCount[cls] may be tried.
  const crashCls = new Int32Array(C);
  const crashRank = new Int32Array(C);
  let classCount = 0;
  {
    const classIds = new Map<string, number>();
    const sizes: number[] = [];
    for (let c = 0; c < C; c++) {
      const key = model.crashClass?.(crashed[c]!.op);
      let cls: number;
      if (key === undefined) cls = classCount++;
      else {
        const found = classIds.get(key);
        if (found === undefined) {
          cls = classCount++;
          classIds.set(key, cls);
        } else cls = found;
      }
      crashCls[c] = cls;
      sizes[cls] = (sizes[cls] ?? 0) + 1;
      crashRank[c] = sizes[cls]! - 1;
    }
  }
  const usedCount = new Int32Array(classCount);

  // --- Entry list over known ops: entries 1..2K, 0 is the head sentinel. Entry e is a call iff entOp>=0 and
  // entCall[e]; each known op has a call entry and a return entry.
  const E = 2 * K + 1;
  const next = new Int32Array(E + 1).fill(-1);
  const prev = new Int32Array(E + 1).fill(-1);
  const entOp = new Int32Array(E);
  const entIsCall = new Uint8Array(E);
  const entPos = new Float64Array(E);
  const callEntry = new Int32Array(K);
  const returnEntry = new Int32Array(K);
  {
    const events: { pos: number; op: number; call: boolean }[] = [];
    for (let i = 0; i < K; i++) {
      events.push({ pos: all[i]!.callPos, op: i, call: true });
      events.push({ pos: all[i]!.returnPos, op: i, call: false });
    }
    // Positions are distinct history positions; calls sort before returns only if equal (never, but be safe).
    events.sort((a, b) => a.pos - b.pos || (a.call === b.call ? 0 : a.call ? -1 : 1));
    let p = 0;
    for (let e = 1; e <= events.length; e++) {
      const ev = events[e - 1]!;
      entOp[e] = ev.op;
      entIsCall[e] = ev.call ? 1 : 0;
      entPos[e] = ev.pos;
      if (ev.call) callEntry[ev.op] = e;
      else returnEntry[ev.op] = e;
      next[p] = e;
      prev[e] = p;
      p = e;
    }
    next[p] = -1;
  }
  const unlinkEntry = (e: number) => {
    const n = next[e]!;
    const p = prev[e]!;
    next[p] = n;
    if (n >= 0) prev[n] = p;
  };
  const relinkEntry = (e: number) => {
    const n = next[e]!;
    const p = prev[e]!;
    next[p] = e;
    if (n >= 0) prev[n] = e;
  };
  const lift = (op: number) => {
    unlinkEntry(callEntry[op]!);
    unlinkEntry(returnEntry[op]!);
  };
  const unlift = (op: number) => {
    relinkEntry(returnEntry[op]!);
    relinkEntry(callEntry[op]!);
  };

  // --- Linearized set: bitset over known ops, sorted list of crashed ops, two incremental hash lanes.
  const words = new Int32Array((K + 31) >>> 5);
  const rand = xorshift(seed * 0x2545f491 + N);
  const lane1 = new Int32Array(N);
  const lane2 = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    lane1[i] = rand();
    lane2[i] = rand();
  }
  let h1 = 0;
  let h2 = 0;
  const crashedSorted = new Int32Array(C); // crashed op ids currently linearized, ascending
  let crashedCount = 0;
  // Distinct sets of linearized crashed ops are interned, so a memo entry stores a set id, not the set: the set
  // changes only when a crashed op is linearized, while thousands of entries share it.
  const crashSets: Int32Array[] = [new Int32Array(0)];
  let crashSetWords = 0;
  const crashSetIndex = new Map<number, number[]>(); // hash of a set -> ids of sets with that hash
  let crashSetId = 0;
  let crashHash = 0; // XOR of lane1 over the current set
  const crashSetStack: number[] = []; // id before each crashed op was linearized
  /** True if interned set a is a subset of interned set b. */
  const crashSubset = (a: number, b: number): boolean => {
    if (a === b || a === 0) return true;
    const x = crashSets[a]!;
    const y = crashSets[b]!;
    if (x.length > y.length) return false;
    let j = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      while (j < y.length && y[j]! < v) j++;
      if (j === y.length || y[j] !== v) return false;
      j++;
    }
    return true;
  };
  const internCrashSet = (): number => {
    const bucket = crashSetIndex.get(crashHash);
    if (bucket) {
      for (const id of bucket) {
        const set = crashSets[id]!;
        if (set.length !== crashedCount) continue;
        let same = true;
        for (let i = 0; i < crashedCount; i++) {
          if (set[i] !== crashedSorted[i]) {
            same = false;
            break;
          }
        }
        if (same) return id;
      }
    }
    const id = crashSets.length;
    crashSets.push(crashedSorted.slice(0, crashedCount));
    crashSetWords += crashedCount + 16;
    if (bucket) bucket.push(id);
    else crashSetIndex.set(crashHash, [id]);
    return id;
  };

  // --- Memo: open addressing over two 32-bit keys; snapshots of the linearized set live in one growable arena.
  let slots = new Int32Array(1 << 12).fill(-1); // entry index or -1
  let slotMask = slots.length - 1;
  let entKey1 = new Int32Array(1 << 11);
  let entKey2 = new Int32Array(1 << 11);
  let entOff = new Int32Array(1 << 11);
  // Second index, without the crashed ops in the key, for dominance by a subset of crashed ops.
  const domIndex = new Map<number, number>();
  let entDomNext = new Int32Array(C > 0 ? 1 << 11 : 0);
  const entState: unknown[] = [];
  let entries = 0;
  let arena = new Int32Array(1 << 16);
  let arenaTop = 0;


  // --- DFS. Node d is the configuration with d ops linearized. Its known candidates are materialised (the
  // window is bounded by concurrency) on a shared stack; crashed candidates are iterated lazily by class.
  const retPos = new Float64Array(K);
  for (let i = 0; i < K; i++) retPos[i] = all[i]!.returnPos;
  const classOrder: number[] = []; // classes by their first member's call position
  const classMembers: number[][] = [];
  for (let c = 0; c < C; c++) {
    const cls = crashCls[c]!;
    if (!classMembers[cls]) {
      classMembers[cls] = [];
      classOrder.push(cls);
    }
    classMembers[cls]!.push(K + c);
  }

  let cand = new Int32Array(1024);
  let candState: unknown[] = [];
  let candTop = 0;
  const pushCand = (op: number, st: unknown) => {
    if (candTop === cand.length) {
      const bigger = new Int32Array(cand.length * 2);
      bigger.set(cand);
      cand = bigger;
    }
    cand[candTop] = op;
    candState[candTop] = st;
    candTop++;
  };

  const nodeCandStart = new Int32Array(N + 1);
  const nodeCandEnd = new Int32Array(N + 1);
  const nodeCandSplit = new Int32Array(N + 1); // end of the known ops that unblock the blocking op
  const nodeCandPos = new Int32Array(N + 1);
  const nodeCrashPass = new Uint8Array(N + 1); // 0: crashed ops that unblock, 1: the rest, 2: done
  const nodeCrashPos = new Int32Array(N + 1);
  const nodeFirstRet = new Float64Array(N + 1);
  const nodeBlocking = new Int32Array(N + 1);
  const nodeBlockingLegal = new Uint8Array(N + 1);
  const stackOp = new Int32Array(N);
  const stackState: unknown[] = new Array(N);
  const stackMaxKnown = new Int32Array(N + 1); // highest known op id linearized in the first d ops
  stackMaxKnown[0] = -1;
  let depth = 0;
  let state = model.init();
  let knownLeft = K;
  let work = 0; // steps and probes since the last budget check

  // Longest prefix bookkeeping (copy only what changed since the last save: amortised O(steps)).
  let bestDepth = -1;
  const bestPrefix: number[] = [];
  let bestState: unknown = state;
  let bestNext: { op: number; legal: boolean }[] = [];
  let bestBlocking = -1;
  let lowSinceSave = 0;

  /** Snapshot of the current linearized set into the arena at `arenaTop` (not committed); returns its length. */
  const writeSnapshot = (): number => {
    const headOp = next[0]! >= 0 ? entOp[next[0]!]! : K; // lowest unlinearized known op (calls precede returns)
    const low = headOp >>> 5;
    const maxKnown = stackMaxKnown[depth]!;
    const nWords = maxKnown < 0 || maxKnown >>> 5 < low ? 0 : (maxKnown >>> 5) - low + 1;
    const need = 3 + nWords;
    if (arenaTop + need > arena.length) {
      const bigger = new Int32Array(Math.max(arena.length * 2, arenaTop + need + 1024));
      bigger.set(arena.subarray(0, arenaTop));
      arena = bigger;
    }
    let w = arenaTop;
    arena[w++] = low;
    arena[w++] = nWords;
    for (let i = 0; i < nWords; i++) arena[w++] = words[low + i]!;
    arena[w++] = crashSetId;
    return w - arenaTop;
  };

  const growMemo = () => {
    const cap = entKey1.length * 2;
    const grow = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    if (C > 0) entDomNext = grow(entDomNext);
    entKey1 = grow(entKey1);
    entKey2 = grow(entKey2);
    entOff = grow(entOff);
    slots = new Int32Array(cap * 2).fill(-1);
    slotMask = slots.length - 1;
    for (let e = 0; e < entries; e++) {
      let i = entKey1[e]! & slotMask;
      while (slots[i] !== -1) i = (i + 1) & slotMask;
      slots[i] = e;
    }
  };

  /**
   * True if the snapshot at `off` has the same known-op part as the candidate at `arenaTop`.
   * Layout: [low, nWords, words..., crash set id].
   */
  const knownPartEquals = (off: number): boolean => {
    const nWords = arena[off + 1]!;
    if (nWords !== arena[arenaTop + 1] || arena[off] !== arena[arenaTop]) return false;
    for (let j = 2; j < 2 + nWords; j++) if (arena[off + j] !== arena[arenaTop + j]) return false;
    return true;
  };

  /** Probe the memo for the current configuration; insert it if new. Returns true if it was new. */
  const memoInsert = (st: unknown): boolean => {
    const sh = model.hash(st) | 0;
    const k1 = h1 ^ sh ^ crashHash;
    const k2 = h2 ^ Math.imul(sh, 0x9e3779b1);
    const len = writeSnapshot();
    let i = k1 & slotMask;
    for (let e = slots[i]!; e !== -1; i = (i + 1) & slotMask, e = slots[i]!) {
      if (entKey1[e] !== k1 || entKey2[e] !== k2) continue;
      const off = entOff[e]!;
      if (knownPartEquals(off) && arena[off + 2 + arena[off + 1]!] === crashSetId && model.equals(entState[e], st)) return false;
    }
    // Dominance: a configuration with the same known ops and state but only a subset of our crashed ops was
    // seen; anything we can do it could (ops of unknown outcome may also never happen). Bounded scan.
    const domKey = C > 0 ? ((h1 ^ sh) >>> 0) * 2097152 + ((h2 ^ Math.imul(sh, 0x9e3779b1)) & 0x1fffff) : 0;
    const domHead = C > 0 ? domIndex.get(domKey) : undefined;
    if (domHead !== undefined && crashedCount > 0) {
      let scanned = 0;
      for (let e = domHead; e !== -1 && scanned < DOMINANCE_SCAN; e = entDomNext[e]!, scanned++) {
        const off = entOff[e]!;
        if (knownPartEquals(off) && crashSubset(arena[off + 2 + arena[off + 1]!]!, crashSetId) && model.equals(entState[e], st)) return false;
      }
    }
    if (C > 0) {
      entDomNext[entries] = domHead ?? -1;
      domIndex.set(domKey, entries);
    }
    slots[i] = entries;
    entKey1[entries] = k1;
    entKey2[entries] = k2;
    entOff[entries] = arenaTop;
    entState.push(st);
    entries++;
    arenaTop += len;
    if (entries === entKey1.length) growMemo();
    return true;
  };

  const memoBytes = () => arena.byteLength + crashSetWords * 4 + entries * MEMO_ENTRY_OVERHEAD + entKey1.byteLength * 3 + entDomNext.byteLength + domIndex.size * 40 + slots.byteLength + cand.byteLength * 3;

  const apply = (op: number, newState: unknown) => {
    stackOp[depth] = op;
    stackState[depth] = state;
    const prevMax = stackMaxKnown[depth]!;
    depth++;
    if (op < K) {
      h1 ^= lane1[op]!;
      h2 ^= lane2[op]!;
      words[op >>> 5] |= 1 << (op & 31);
      lift(op);
      knownLeft--;
      stackMaxKnown[depth] = op > prevMax ? op : prevMax;
    } else {
      let j = crashedCount++;
      while (j > 0 && crashedSorted[j - 1]! > op) {
        crashedSorted[j] = crashedSorted[j - 1]!;
        j--;
      }
      crashedSorted[j] = op;
      crashHash ^= lane1[op]!;
      crashSetStack.push(crashSetId);
      crashSetId = internCrashSet();
      usedCount[crashCls[op - K]!]++;
      stackMaxKnown[depth] = prevMax;
    }
    state = newState;
  };
  const undo = (): void => {
    depth--;
    if (depth < lowSinceSave) lowSinceSave = depth;
    const op = stackOp[depth]!;
    state = stackState[depth];
    stackState[depth] = undefined;
    if (op < K) {
      h1 ^= lane1[op]!;
      h2 ^= lane2[op]!;
      words[op >>> 5] &= ~(1 << (op & 31));
      unlift(op);
      knownLeft++;
    } else {
      let j = crashedSorted.indexOf(op);
      crashedCount--;
      for (; j < crashedCount; j++) crashedSorted[j] = crashedSorted[j + 1]!;
      crashHash ^= lane1[op]!;
      crashSetId = crashSetStack.pop()!;
      usedCount[crashCls[op - K]!]--;
    }
  };

  /** Step into op with its precomputed next state if the configuration is new. */
  const enter = (op: number, st: unknown): boolean => {
    work++;
    apply(op, st);
    if (memoInsert(st)) return true;
    undo();
    return false;
  };

  const mayEnable = model.mayEnable ? model.mayEnable.bind(model) : undefined;
  const waitingOps = new Int32Array(MAX_WAITING);
  /**
   * True if known op w, illegal now, cannot become legal before its completion: no op still to be linearized and
   * invoked before that completion may produce a state where it is legal (per the model's `mayEnable`).
   */
  const hopeless = (w: number): boolean => {
    const deadline = retPos[w]!;
    const target = ops[w]!;
    for (let c = next[0]!; c >= 0 && entPos[c]! < deadline; c = next[c]!) {
      work++;
      if (!entIsCall[c]) continue;
      const z = entOp[c]!;
      if (z !== w && mayEnable!(ops[z]!, target)) return false;
    }
    for (const cls of classOrder) {
      const members = classMembers[cls]!;
      if (callPos[members[0]!]! > deadline) break;
      const z = members[usedCount[cls]!];
      if (z !== undefined && callPos[z]! < deadline && mayEnable!(ops[z]!, target)) return false;
    }
    return true;
  };

  /** Known op that no configuration can linearize (found by `neverPossible`), or -1. */
  let doomed = -1;
  const checkedNever = new Set<number>();
  /**
   * True if known op w is impossible in the initial state and no op of the partition invoked before w completed
   * may enable it: then it can be linearized in no order at all. Checked once per op.
   */
  const neverPossible = (w: number): boolean => {
    if (checkedNever.has(w)) return false;
    checkedNever.add(w);
    const target = ops[w]!;
    if (model.step(model.init(), target) !== undefined) return false;
    const deadline = retPos[w]!;
    for (let z = 0; z < K && callPos[z]! < deadline; z++) if (z !== w && mayEnable!(ops[z]!, target)) return false;
    for (let z = K; z < N && callPos[z]! < deadline; z++) if (mayEnable!(ops[z]!, target)) return false;
    return true;
  };

  /** Build the candidate list of the node at the current depth. */
  const buildNode = (): void => {
    const d = depth;
    nodeCandStart[d] = candTop;
    nodeCrashPass[d] = 0;
    nodeCrashPos[d] = 0;
    let e = next[0]!;
    // Pre-pass: a legal read-only op is taken without alternatives (moving a state-preserving op earlier
    // never breaks a valid order).
    let waiting = 0; // read-only ops that cannot be linearized yet (up to MAX_WAITING)
    for (; e >= 0 && entIsCall[e]; e = next[e]!) {
      const op = entOp[e]!;
      if (!isRead[op]) continue;
      const st = model.step(state, ops[op]!);
      if (st === undefined) {
        if (waiting < MAX_WAITING) waitingOps[waiting++] = op;
      } else {
        pushCand(op, st);
        nodeCandEnd[d] = candTop;
        nodeCandSplit[d] = candTop;
        nodeCandPos[d] = nodeCandStart[d]!;
        nodeCrashPass[d] = 2;
        nodeBlocking[d] = -1;
        return;
      }
    }
    const blocking = entOp[e]!; // e is the first return entry: its op must be linearized before any later call
    nodeFirstRet[d] = entPos[e]!;
    nodeBlocking[d] = blocking;
    let blockingState: unknown = undefined;
    if (!isRead[blocking]) blockingState = model.step(state, ops[blocking]!);
    nodeBlockingLegal[d] = blockingState !== undefined ? 1 : 0;
    if (mayEnable) {
      if (blockingState === undefined && !isRead[blocking] && waiting < MAX_WAITING) waitingOps[waiting++] = blocking;
      for (let i = 0; i < waiting; i++) {
        const w = waitingOps[i]!;
        if (hopeless(w)) {
          // Some op can never become legal before its deadline: this configuration is a dead end. If no op in
          // the whole partition could ever enable it, every configuration is: the history is not linearizable.
          if (neverPossible(w)) doomed = w;
          nodeCandEnd[d] = candTop;
          nodeCandSplit[d] = candTop;
          nodeCandPos[d] = candTop;
          nodeCrashPass[d] = 2;
          return;
        }
      }
    }
    // Order: ops whose legality depends on the state (their chance may pass) before blind ones; ops after
    // which a blocked op becomes legal early; earliest completion first within a group.
    const list: number[] = [];
    const group = new Map<number, number>();
    const stateOf = new Map<number, unknown>();
    for (let c = next[0]!; c !== e; c = next[c]!) {
      const op = entOp[c]!;
      if (isRead[op]) continue;
      const st = op === blocking ? blockingState : model.step(state, ops[op]!);
      if (st === undefined) continue;
      const unblocks = blockingState === undefined && (model.step(st, ops[blocking]!) !== undefined || (relevant !== undefined && relevant(state, ops[blocking]!, ops[op]!)));
      const g = unblocks ? 0 : isBlind[op] ? 2 : 1;
      list.push(op);
      group.set(op, g);
      stateOf.set(op, st);
    }
    list.sort((a, b) => group.get(a)! - group.get(b)! || retPos[a]! - retPos[b]!);
    let split = candTop;
    for (const op of list) {
      pushCand(op, stateOf.get(op));
      if (group.get(op) === 0) split = candTop;
    }
    nodeCandSplit[d] = split;
    nodeCandEnd[d] = candTop;
    nodeCandPos[d] = nodeCandStart[d]!;
  };

  /** Next crashed candidate of node d from passes up to `upToPass` (lazy), or -1. Leaves its next state in `crashState`. */
  let crashState: unknown;
  const nextCrashed = (d: number, upToPass: number): number => {
    const firstRet = nodeFirstRet[d]!;
    const blocking = nodeBlocking[d]!;
    const wantUnblock = nodeBlockingLegal[d] === 0;
    while (nodeCrashPass[d]! <= upToPass) {
      const pass = nodeCrashPass[d]!;
      for (let i = nodeCrashPos[d]!; i < classOrder.length; i++) {
        work++;
        const cls = classOrder[i]!;
        const members = classMembers[cls]!;
        if (callPos[members[0]!]! > firstRet) break;
        const used = usedCount[cls]!;
        if (used >= members.length) continue;
        const op = members[used]!;
        if (callPos[op]! > firstRet) continue;
        const st = model.step(state, ops[op]!);
        if (st === undefined) continue;
        const unblocks = wantUnblock && (model.step(st, ops[blocking]!) !== undefined || (relevant !== undefined && relevant(state, ops[blocking]!, ops[op]!)));
        // Pass 0 takes the ops that unblock; pass 1 the others (or everything when nothing is blocked).
        if (wantUnblock ? (pass === 0) !== unblocks : pass === 0) continue;
        nodeCrashPos[d] = i + 1;
        crashState = st;
        return op;
      }
      nodeCrashPass[d] = pass + 1;
      nodeCrashPos[d] = 0;
    }
    return -1;
  };

  /** Record this failing node as the deepest point if it is. */
  const noteFailure = () => {
    if (depth <= bestDepth) return;
    bestPrefix.length = Math.min(bestPrefix.length, lowSinceSave);
    for (let d = bestPrefix.length; d < depth; d++) bestPrefix.push(stackOp[d]!);
    bestDepth = depth;
    lowSinceSave = depth;
    bestState = state;
    bestNext = [];
    for (let e = next[0]!; e >= 0; e = next[e]!) {
      const op = entOp[e]!;
      if (!entIsCall[e]) {
        bestBlocking = op;
        break;
      }
      bestNext.push({ op, legal: model.step(state, ops[op]!) !== undefined });
    }
  };

  const finishStats = () => {
    stats.memoEntries = entries;
    stats.memoBytes = memoBytes();
  };

  let checks = 0; // budget checks so far (the heap is looked at every 16th)
  memoInsert(state);
  buildNode();
  stats.steps++;
  for (;;) {
    if (work >= BUDGET_CHECK_INTERVAL) {
      work = 0;
      const bytes = memoBytes();
      const late = performance.now() > budget.deadline;
      if (late || bytes > budget.memoBytes || entries > MEMO_MAX_ENTRIES || ((++checks & 15) === 0 && budget.heapExhausted?.())) {
        finishStats();
        return { result: 'unknown', reason: late ? 'time' : 'memory', stats };
      }
    }
    const d = depth;
    // Try the node's next candidate: known ones first, then crashed ones.
    let entered = false;
    // Order of trial: known ops that unblock the blocking op, crashed ops that do, the other known ops, the
    // other crashed ops.
    for (let phase = 0; phase < 2 && !entered; phase++) {
      const end = phase === 0 ? nodeCandSplit[d]! : nodeCandEnd[d]!;
      while (nodeCandPos[d]! < end) {
        const i = nodeCandPos[d]!;
        nodeCandPos[d] = i + 1;
        if (enter(cand[i]!, candState[i])) {
          entered = true;
          break;
        }
      }
      if (entered) break;
      for (let op = nextCrashed(d, phase); op >= 0; op = nextCrashed(d, phase)) {
        if (enter(op, crashState)) {
          entered = true;
          break;
        }
      }
    }
    if (entered) {
      if (knownLeft === 0) {
        finishStats();
        return { result: 'ok', stats };
      }
      stats.steps++;
      work++;
      buildNode();
      continue;
    }
    // Node exhausted.
    if (doomed >= 0) {
      // Report the configuration where the impossible op was found, with that op as the culprit.
      bestDepth = -1;
      lowSinceSave = 0;
      bestPrefix.length = 0;
      noteFailure();
      bestBlocking = doomed;
      if (!bestNext.some((n) => n.op === doomed)) bestNext.unshift({ op: doomed, legal: false });
    } else noteFailure();
    if (d === 0 || doomed >= 0) {
      finishStats();
      return {
        result: 'fail',
        stats,
        witness: {
          prefix: bestPrefix.slice(0, bestDepth).map((i) => ops[i]!),
          state: bestState,
          next: bestNext.map(({ op, legal }) => ({ op: ops[op]!, legal })),
          blocking: ops[bestBlocking]!,
          ...(doomed >= 0 ? { impossible: ops[doomed]! } : {}),
        },
      };
    }
    candTop = nodeCandStart[d]!;
    candState.length = Math.min(candState.length, candTop + 4096); // let go of states of abandoned nodes
    stats.backtracks++;
    undo();
  }
}
