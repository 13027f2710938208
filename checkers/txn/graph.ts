/**
 * The transaction dependency graph (txn-anomalies.md §4). Data edges (ww, wr, rw) from inference are stored in
 * compressed sparse row form: node v's out-edges are `targets[offsets[v] .. offsets[v+1])`, and `kinds[e]` ORs
 * every reason for that ordered pair. The session orders some models need are stored implicitly, because they
 * would otherwise be most of the edges: process order as one successor per txn, and the realtime transitive
 * reduction as one id range per txn (txns are numbered in invocation order, so "invoked while v was on the
 * frontier" is a contiguous range). A million transactions fit in well under a hundred MB of typed arrays, which
 * matters twice: memory, and the full garbage collections V8 runs when large buffers are allocated next to a
 * large history.
 */
import { EdgeKind, type EdgeKindName, type EdgeSink, type EdgeWhy, type Txn } from './types.js';

/** The data-dependency kinds as one mask (Adya's DSG). */
export const DATA_KINDS = EdgeKind.ww | EdgeKind.wr | EdgeKind.rw;
/** Every edge kind as one mask. */
export const ALL_KINDS = DATA_KINDS | EdgeKind.process | EdgeKind.realtime;
/** Kind names in bit order, so bit i of a mask is `KIND_NAMES[i]`. */
export const KIND_NAMES: readonly EdgeKindName[] = ['ww', 'wr', 'rw', 'process', 'realtime'];

/** The kind names set in a mask, in bit order (for reports: `subgraph: ['ww', 'wr']`). */
export function kindNames(mask: number): EdgeKindName[] {
  return KIND_NAMES.filter((_, i) => (mask & (1 << i)) !== 0);
}

/** Realtime successors as id ranges: txn v precedes every txn whose id is in `lo[v] .. hi[v] - 1`. */
export interface RealtimeRanges {
  lo: Int32Array;
  hi: Int32Array;
  /** Number of realtime edges the ranges stand for (failed txns inside a range excluded). */
  edges: number;
}

/** A graph in CSR form plus optional implicit session edges; per-SCC local graphs use only the CSR part. */
export interface Csr {
  /** Number of nodes (ids 0..n-1). */
  readonly n: number;
  /** n + 1 entries: node v's edges are positions offsets[v] .. offsets[v+1]-1. */
  readonly offsets: Uint32Array;
  readonly targets: Uint32Array;
  /** OR of EdgeKind bits per distinct ordered pair. */
  readonly kinds: Uint8Array;
  /** Process order: procNext[v] is the txn v's process ran next, or -1. */
  readonly procNext?: Int32Array;
  /** Realtime order (transitive reduction). */
  readonly realtime?: RealtimeRanges;
}

/** Every out-edge of `v` whose kind meets `mask`, as [target, kind bits] (session edges separately): for tests and reports. */
export function outEdges(g: Csr, v: number, mask = ALL_KINDS): [number, number][] {
  const out: [number, number][] = [];
  for (let e = g.offsets[v]!, end = g.offsets[v + 1]!; e < end; e++) if (g.kinds[e]! & mask) out.push([g.targets[e]!, g.kinds[e]! & mask]);
  if (mask & EdgeKind.process && g.procNext && g.procNext[v]! >= 0) out.push([g.procNext[v]!, EdgeKind.process]);
  if (mask & EdgeKind.realtime && g.realtime) for (let w = g.realtime.lo[v]!; w < g.realtime.hi[v]!; w++) out.push([w, EdgeKind.realtime]);
  return out;
}

/** The kinds of all edges from `a` to `b` (0 when there is none). */
export function kindsBetween(g: Csr, a: number, b: number): number {
  let k = 0;
  for (let e = g.offsets[a]!, end = g.offsets[a + 1]!; e < end; e++) if (g.targets[e] === b) k |= g.kinds[e]!;
  if (g.procNext && g.procNext[a] === b) k |= EdgeKind.process;
  if (g.realtime && b >= g.realtime.lo[a]! && b < g.realtime.hi[a]!) k |= EdgeKind.realtime;
  return k;
}

/** Edges per kind (data kinds count distinct pairs), for stats. */
export function edgeCounts(g: Csr): Record<EdgeKindName, number> {
  const counts = [0, 0, 0];
  const { kinds } = g;
  for (let e = 0; e < kinds.length; e++) {
    const k = kinds[e]!;
    if (k & 1) counts[0]!++;
    if (k & 2) counts[1]!++;
    if (k & 4) counts[2]!++;
  }
  let process = 0;
  if (g.procNext) for (let v = 0; v < g.n; v++) if (g.procNext[v]! >= 0) process++;
  return { ww: counts[0]!, wr: counts[1]!, rw: counts[2]!, process, realtime: g.realtime?.edges ?? 0 };
}

/** Largest txn count the builder accepts: a target id and its kind bits share one 32-bit word while sorting. */
export const MAX_GRAPH_NODES = 1 << 27;
/** Out-degree up to which duplicate pairs are merged by scanning the node's own edges (cache-friendly). */
const SMALL_DEGREE = 32;

/**
 * Accumulates data edges from inference in fixed-size typed-array chunks (no doubling copies), then freezes them
 * into a Csr with duplicate pairs merged. Inference sees it as an EdgeSink.
 */
export class GraphBuilder implements EdgeSink {
  private readonly chunkSize: number;
  private readonly fromChunks: Uint32Array[] = [];
  private readonly toKindChunks: Uint32Array[] = [];
  private from: Uint32Array;
  /** Target id << 5 | kind bits. */
  private toKind: Uint32Array;
  private fill = 0;
  private size = 0;
  private frozen = false;

  constructor(
    /** Number of transactions: edges must name ids 0..n-1. */
    readonly n: number,
  ) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`GraphBuilder: expected a non-negative integer node count, got ${String(n)}`);
    if (n > MAX_GRAPH_NODES) throw new RangeError(`GraphBuilder: ${n} transactions is more than the ${MAX_GRAPH_NODES} one graph can hold`);
    this.chunkSize = Math.min(1 << 20, Math.max(256, n * 2));
    this.from = new Uint32Array(this.chunkSize);
    this.toKind = new Uint32Array(this.chunkSize);
  }

  /** Number of edges added so far (duplicates included). */
  get edgesAdded(): number {
    return this.size;
  }

  /** Record that txn `from` must precede txn `to` for the reason `kind`. */
  add(from: number, to: number, kind: EdgeKindName): void {
    const bit = EdgeKind[kind] as number | undefined;
    if (bit === undefined) throw new Error(`GraphBuilder.add: unknown edge kind ${JSON.stringify(kind)}: expected one of ${KIND_NAMES.join(', ')}`);
    this.addBits(from, to, bit);
  }

  /** Like `add`, with the kind given as EdgeKind bits (several may be ORed). */
  addBits(from: number, to: number, bits: number): void {
    if (this.frozen) throw new Error('GraphBuilder: cannot add edges after freeze()');
    if (!(from >= 0 && from < this.n && to >= 0 && to < this.n && from === (from | 0) && to === (to | 0))) {
      throw new RangeError(`GraphBuilder: edge ${String(from)} -> ${String(to)} names a transaction outside 0..${this.n - 1}`);
    }
    if (from === to) throw new RangeError(`GraphBuilder: self-edge on transaction ${from}: a txn never precedes itself`);
    if ((bits & ALL_KINDS) === 0) throw new RangeError(`GraphBuilder: edge ${from} -> ${to} has no kind bits (${String(bits)})`);
    if (this.fill === this.chunkSize) {
      this.fromChunks.push(this.from);
      this.toKindChunks.push(this.toKind);
      this.from = new Uint32Array(this.chunkSize);
      this.toKind = new Uint32Array(this.chunkSize);
      this.fill = 0;
    }
    const i = this.fill++;
    this.from[i] = from;
    this.toKind[i] = ((to << 5) | (bits & ALL_KINDS)) >>> 0;
    this.size++;
  }

  /**
   * Counting-sort the edges by source (stable: a node's edges keep their insertion order), merge duplicate pairs
   * ORing their kinds, and attach the session orders. The builder is spent after.
   */
  freeze(session: { procNext?: Int32Array; realtime?: RealtimeRanges } = {}): Csr {
    if (this.frozen) throw new Error('GraphBuilder: freeze() called twice');
    this.frozen = true;
    const { n, size: m } = this;
    const fromChunks = [...this.fromChunks, this.from.subarray(0, this.fill)];
    const toKindChunks = [...this.toKindChunks, this.toKind.subarray(0, this.fill)];
    this.fromChunks.length = this.toKindChunks.length = 0;
    this.from = this.toKind = new Uint32Array(0);
    // offsets[v + 1] counts v's edges; after the prefix sum offsets[v] is v's start, bumped while scattering and
    // shifted back afterwards (no separate cursor array).
    const offsets = new Uint32Array(n + 1);
    for (const c of fromChunks) for (let i = 0; i < c.length; i++) offsets[c[i]! + 1]!++;
    for (let v = 0; v < n; v++) offsets[v + 1]! += offsets[v]!;
    const packed = new Uint32Array(m);
    for (let c = 0; c < fromChunks.length; c++) {
      const f = fromChunks[c]!;
      const tk = toKindChunks[c]!;
      for (let i = 0; i < f.length; i++) packed[offsets[f[i]!]!++] = tk[i]!;
    }
    for (let v = n; v > 0; v--) offsets[v] = offsets[v - 1]!;
    offsets[0] = 0;
    // Merge duplicate pairs in place.
    let owner: Int32Array | undefined; // owner[t] === v: v already has an edge to t, at position at[t]
    let at: Uint32Array | undefined;
    let w = 0;
    for (let v = 0; v < n; v++) {
      const start = offsets[v]!;
      const end = offsets[v + 1]!;
      offsets[v] = w;
      const first = w;
      if (end - start <= SMALL_DEGREE) {
        for (let q = start; q < end; q++) {
          const x = packed[q]!;
          const t = x >>> 5;
          let j = first;
          while (j < w && packed[j]! >>> 5 !== t) j++;
          if (j < w) packed[j] = (packed[j]! | (x & 31)) >>> 0;
          else packed[w++] = x;
        }
      } else {
        owner ??= new Int32Array(n).fill(-1);
        at ??= new Uint32Array(n);
        for (let q = start; q < end; q++) {
          const x = packed[q]!;
          const t = x >>> 5;
          if (owner[t] === v) packed[at[t]!] = (packed[at[t]!]! | (x & 31)) >>> 0;
          else {
            owner[t] = v;
            at[t] = w;
            packed[w++] = x;
          }
        }
      }
    }
    offsets[n] = w;
    const kinds = new Uint8Array(w);
    for (let e = 0; e < w; e++) {
      kinds[e] = packed[e]! & 31;
      packed[e] = packed[e]! >>> 5;
    }
    return { n, offsets, targets: packed.subarray(0, w), kinds, ...session };
  }
}

/** Throws unless txns[i].id === i (the contract's dense numbering), so edges can index the array. */
export function assertDenseIds(txns: readonly Txn[]): void {
  for (let i = 0; i < txns.length; i++) {
    if (txns[i]!.id !== i) throw new Error(`transactional checker: expected txns[${i}].id to be ${i} (dense ids in invocation order), got ${String(txns[i]!.id)}`);
  }
}

/**
 * Process order: each ok txn precedes the next ok or info txn of the same process (fail txns are skipped; an info
 * txn is always its process's last). procNext[v] is that successor, or -1.
 */
export function processOrder(txns: readonly Txn[]): Int32Array {
  const next = new Int32Array(txns.length).fill(-1);
  const last = new Map<unknown, number>();
  for (const t of txns) {
    if (t.type === 'fail') continue;
    const prev = last.get(t.process);
    if (prev !== undefined && txns[prev]!.type === 'ok') next[prev] = t.id;
    last.set(t.process, t.id);
  }
  return next;
}

/**
 * Realtime order as a transitive reduction. Walking the history by position, a frontier holds the ok txns that
 * completed and are not yet implied by a later completion; every invocation while v is on the frontier is one of
 * v's successors, and an ok completion removes the members that completed before its own invocation (later txns
 * reach them through it). Since ids follow invocation order, v's successors are the id range from its completion
 * to its removal. Only ok txns have successors (never info or fail); failed txns inside a range have no edges of
 * their own, so including them changes no cycle.
 */
export function realtimeOrder(txns: readonly Txn[]): RealtimeRanges {
  const n = txns.length;
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  // Ok txns in flight, a min-heap on completion position (at most one per process), so completions are met in
  // history order while walking invocations in id order.
  let heap: Int32Array = new Int32Array(64);
  let heapSize = 0;
  const cpos = (id: number) => txns[id]!.completePos;
  // The frontier, with the number of failed invocations seen when each member joined (for the edge count).
  let frontier: Int32Array = new Int32Array(64);
  let frontierFails: Int32Array = new Int32Array(64);
  let size = 0;
  let fails = 0;
  let edges = 0;
  const complete = (id: number, invoked: number) => {
    const invokedAt = txns[id]!.invokePos;
    let keep = 0;
    for (let i = 0; i < size; i++) {
      const e = frontier[i]!;
      if (cpos(e) < invokedAt) {
        hi[e] = invoked;
        edges += invoked - lo[e]! - (fails - frontierFails[i]!);
      } else {
        frontierFails[keep] = frontierFails[i]!;
        frontier[keep++] = e;
      }
    }
    size = keep;
    if (size === frontier.length) {
      frontier = grow(frontier);
      frontierFails = grow(frontierFails);
    }
    frontierFails[size] = fails;
    frontier[size++] = id;
    lo[id] = invoked;
  };
  for (let id = 0; id <= n; id++) {
    const t = txns[id];
    if (t) {
      if (!Number.isInteger(t.invokePos) || t.invokePos < 0) throw new Error(`transactional checker: txn ${id} has invokePos ${String(t.invokePos)}: expected a position in the history`);
      if (id > 0 && t.invokePos <= txns[id - 1]!.invokePos) {
        throw new Error(`transactional checker: txn ${id} is invoked at position ${t.invokePos}, not after txn ${id - 1} (${txns[id - 1]!.invokePos}): expected ids in invocation order`);
      }
      if (t.type === 'ok' && (!Number.isInteger(t.completePos) || t.completePos <= t.invokePos)) {
        throw new Error(`transactional checker: ok txn ${id} has completePos ${String(t.completePos)}: expected a position after its invocation at ${t.invokePos}`);
      }
    }
    // Every completion before this invocation (all of them at the end), in history order.
    const until = t ? t.invokePos : Infinity;
    while (heapSize > 0 && cpos(heap[0]!) < until) {
      const top = heap[0]!;
      heap[0] = heap[--heapSize]!;
      siftDown(heap, heapSize, cpos);
      complete(top, id);
    }
    if (!t) break;
    if (t.type === 'fail') fails++;
    if (t.type === 'ok') {
      if (heapSize === heap.length) heap = grow(heap);
      heap[heapSize++] = id;
      siftUp(heap, heapSize - 1, cpos);
    }
  }
  for (let i = 0; i < size; i++) {
    const e = frontier[i]!;
    hi[e] = n;
    edges += n - lo[e]! - (fails - frontierFails[i]!);
  }
  return { lo, hi, edges };
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function siftUp(heap: Int32Array, i: number, key: (id: number) => number): void {
  const x = heap[i]!;
  const k = key(x);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (key(heap[parent]!) <= k) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = x;
}

function siftDown(heap: Int32Array, size: number, key: (id: number) => number): void {
  if (size === 0) return;
  const x = heap[0]!;
  const k = key(x);
  let i = 0;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= size) break;
    if (c + 1 < size && key(heap[c + 1]!) < key(heap[c]!)) c++;
    if (key(heap[c]!) >= k) break;
    heap[i] = heap[c]!;
    i = c;
  }
  heap[i] = x;
}

/** Seconds for a realtime explanation: three decimals, or three significant digits for sub-millisecond gaps. */
function formatSeconds(s: number): string {
  return s >= 0.001 ? s.toFixed(3) : String(Number(s.toPrecision(3)));
}

/** Explain a process or realtime edge between two txns, with `%a` / `%b` standing for their names. */
export function explainSessionEdge(a: Txn, b: Txn, kind: 'process' | 'realtime'): EdgeWhy {
  if (kind === 'process') return { kind, text: `process ${String(a.process)} executed %a before %b` };
  const dt = a.completeTime !== undefined && b.invokeTime !== undefined ? (b.invokeTime - a.completeTime) / 1e9 : undefined;
  const gap = dt !== undefined && dt > 0 ? `${formatSeconds(dt)} seconds before` : 'just before';
  return { kind, text: `%a completed at index ${a.index}, ${gap} the invocation of %b, at index ${b.invokeIndex}` };
}
