/**
 * History -> transactions, plus the small pieces both inferences share: value/key normalisation, the edge filter
 * (never out of info or fail txns, never self-edges) and bounded collections of anomaly examples.
 *
 * Only client `txn` ops become transactions. Micro-ops must look like `[f, k, v]` with f `append`, `r` or `w`; a
 * transaction that does not is left out and reported as an unknown (`malformed-txn`, `unknown-mop`), so the verdict
 * becomes `unknown` instead of resting on data we could not read.
 */
import { HistoryError, type History, type Op, type PairedOp } from '../history/types.js';
import { pairHistory } from '../history/validate.js';
import { DEFAULT_MAX_CHARS, abbreviate, txnList } from './format.js';
import type { DataEdgeKind, EdgeKindName, EdgeSink, EdgeWhy, Inference, Mop, Txn, TxnAnomaly, TxnCheckOptions } from './types.js';

/** Micro-op functions the transactional workloads use. */
export const MOP_FUNCTIONS: readonly string[] = ['append', 'r', 'w'];

/** Unknowns of one type listed one by one before the rest are folded into a single summary anomaly. */
export const MAX_EXAMPLES = 20;

/**
 * Turn a history into dense-numbered transactions (the graph's nodes), plus unknowns for ops we could not read.
 * A history that cannot be paired (e.g. a process invoking twice) yields no txns and a `malformed-history` unknown.
 */
export function extractTxns(history: History): { txns: Txn[]; unknowns: TxnAnomaly[] } {
  const paired = pairTxns(history);
  if (paired === undefined) {
    // The fast pass found the history malformed; the validating pairer says exactly how.
    try {
      pairHistory(history);
    } catch (e) {
      const msg = e instanceof HistoryError ? e.message : e instanceof Error ? e.message : String(e);
      return { txns: [], unknowns: [{ type: 'malformed-history', ops: [], explanation: `The history could not be paired into operations: ${msg}` }] };
    }
    return extractFromPaired(pairHistory(history));
  }
  return paired;
}

/**
 * One pass over the history building txns directly (a million-txn history is 2M ops: building PairedOp objects
 * first cost a second). Same pairing rules as `pairHistory`; returns undefined on anything it would reject.
 */
function pairTxns(history: History): { txns: Txn[]; unknowns: TxnAnomaly[] } | undefined {
  const open = new Map<unknown, number>();
  const openTxn = new Map<unknown, Txn>();
  const txns: Txn[] = [];
  let dropped = false;
  const unknowns = new UnknownCollector();
  let lastIndex = -Infinity;
  for (let pos = 0; pos < history.length; pos++) {
    const op = history[pos]!;
    if (!(op.index > lastIndex)) return undefined;
    lastIndex = op.index;
    const proc = op.process;
    const inflight = open.get(proc);
    if (op.type === 'invoke') {
      if (inflight !== undefined) return undefined;
      open.set(proc, pos);
      if (op.f === 'txn' && (typeof proc === 'number' || Array.isArray(op.value))) {
        const t: Txn = { id: txns.length, index: op.index, invokeIndex: op.index, process: proc, type: 'info', mops: op.value as Mop[], invokePos: pos, completePos: Infinity };
        if (typeof op.time === 'number') t.invokeTime = op.time;
        txns.push(t);
        openTxn.set(proc, t);
      }
      continue;
    }
    if (inflight === undefined) {
      if (op.type === 'info' && typeof proc === 'string') continue;
      return undefined;
    }
    if (op.type !== 'ok' && op.type !== 'fail' && op.type !== 'info') return undefined;
    if (history[inflight]!.f !== op.f) return undefined;
    open.delete(proc);
    const t = openTxn.get(proc);
    if (t === undefined) continue;
    openTxn.delete(proc);
    t.type = op.type;
    t.index = op.index;
    t.completePos = pos;
    if (typeof op.time === 'number') t.completeTime = op.time;
    if (op.type === 'ok') t.mops = op.value as Mop[];
  }
  for (const t of txns) {
    const problem = checkMops(t.mops);
    if (!problem) continue;
    const at = t.type === 'ok' ? t.index : t.invokeIndex;
    const where = `op ${at} (${t.type === 'ok' ? 'the ok completion' : 'the invocation'} of a txn by process ${String(t.process)})`;
    unknowns.add(problem.type, at, `${where}: ${problem.text}`);
    t.id = -1;
    dropped = true;
  }
  if (!dropped) return { txns, unknowns: unknowns.finish() };
  const kept = txns.filter((t) => t.id >= 0);
  kept.forEach((t, i) => (t.id = i));
  return { txns: kept, unknowns: unknowns.finish() };
}

function extractFromPaired(paired: PairedOp[]): { txns: Txn[]; unknowns: TxnAnomaly[] } {
  const txns: Txn[] = [];
  const unknowns = new UnknownCollector();
  for (const p of paired) {
    if (p.f !== 'txn') continue;
    if (typeof p.process !== 'number' && !Array.isArray(p.invoke.value)) continue;
    const type: Txn['type'] = p.outcome;
    const source: Op = type === 'ok' ? p.complete! : p.invoke;
    const problem = checkMops(source.value);
    if (problem) {
      const where = `op ${source.index} (${type === 'ok' ? 'the ok completion' : 'the invocation'} of a txn by process ${String(p.process)})`;
      unknowns.add(problem.type, source.index, `${where}: ${problem.text}`);
      continue;
    }
    const t: Txn = {
      id: txns.length,
      index: p.complete ? p.complete.index : p.invoke.index,
      invokeIndex: p.invoke.index,
      process: p.process,
      type,
      mops: source.value as Mop[],
      invokePos: p.invokePos,
      completePos: p.completePos,
    };
    if (typeof p.invoke.time === 'number') t.invokeTime = p.invoke.time;
    if (p.complete && typeof p.complete.time === 'number') t.completeTime = p.complete.time;
    txns.push(t);
  }
  return { txns, unknowns: unknowns.finish() };
}

/** What is wrong with a txn's value, if anything: not a list, a micro-op that is not `[f k v]`, or an unknown f. */
function checkMops(value: unknown): { type: 'malformed-txn' | 'unknown-mop'; text: string } | undefined {
  if (!Array.isArray(value)) return { type: 'malformed-txn', text: `expected the value to be a list of micro-ops like [["append", "x", 1], ["r", "y", null]], got ${abbreviate(value)}` };
  for (let i = 0; i < value.length; i++) {
    const m: unknown = value[i];
    if (!Array.isArray(m) || m.length !== 3) {
      return { type: 'malformed-txn', text: `micro-op ${i} is ${abbreviate(m)}: expected a 3-element list [f k v] such as ["append", "x", 1]` };
    }
    if (typeof m[0] !== 'string' || !MOP_FUNCTIONS.includes(m[0])) {
      return { type: 'unknown-mop', text: `micro-op ${i} has f ${abbreviate(m[0])}: expected one of ${MOP_FUNCTIONS.join(', ')}` };
    }
  }
  return undefined;
}

/**
 * Map key for "the same key / the same value": primitives as themselves (so 1 and "1" stay different), collections
 * by canonical text behind a NUL prefix that no plain string can produce.
 */
export function normValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'string') return v.charCodeAt(0) === 0 ? `\u0000s${v}` : v;
  if (v === null || typeof v !== 'object') return v;
  return `\u0000o${canonical(v)}`;
}

/** Whether two values are the same element/value under `normValue`, without allocating in the common case. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((a === undefined || a === null) && (b === undefined || b === null)) return true;
  return typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && normValue(a) === normValue(b);
}

function canonical(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v instanceof Set) return `#{${[...v].map(canonical).sort().join(',')}}`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

/** Txn outcome as a small integer, for typed arrays. */
export const TXN_OK = 0;
export const TXN_INFO = 1;
export const TXN_FAIL = 2;

/** Outcome codes per txn id. */
export function txnTypes(txns: readonly Txn[]): Uint8Array {
  const out = new Uint8Array(txns.length);
  for (let i = 0; i < txns.length; i++) {
    const t = txns[i]!.type;
    out[i] = t === 'ok' ? TXN_OK : t === 'info' ? TXN_INFO : TXN_FAIL;
  }
  return out;
}

/**
 * The one gate every inferred edge passes: edges leave only ok txns, may enter ok or info txns (an info txn may have
 * committed), never touch fail or skipped txns, and are never self-edges (txn-anomalies.md §4, §8).
 */
export function edgeEmitter(sink: EdgeSink, types: Uint8Array, skipped: Uint8Array): (from: number, to: number, kind: EdgeKindName) => void {
  const OK = TXN_OK;
  const FAIL = TXN_FAIL;
  let lastFrom = -1;
  let lastTo = -1;
  let lastKind = '';
  const emitEdge = (from: number, to: number, kind: EdgeKindName): void => {
    if (from === to || from < 0 || to < 0) return;
    if (types[from] !== OK || types[to] === FAIL || skipped[from] || skipped[to]) return;
    if (from === lastFrom && to === lastTo && kind === lastKind) return;
    lastFrom = from;
    lastTo = to;
    lastKind = kind;
    sink.add(from, to, kind);
  };
  return emitEdge;
}

/** Whether an edge of this shape could have been emitted (mirror of `edgeEmitter`, for explainEdge). */
export function edgeAllowed(from: number, to: number, types: Uint8Array, skipped: Uint8Array): boolean {
  return from !== to && from >= 0 && to >= 0 && from < types.length && to < types.length && types[from] === TXN_OK && types[to] !== TXN_FAIL && !skipped[from] && !skipped[to];
}

/**
 * Unknowns by type: the first MAX_EXAMPLES ops one by one (each naming its op and what was expected), then one
 * summary per type, so a systematically broken history does not produce a million anomalies.
 */
export class UnknownCollector {
  private readonly byType = new Map<string, { listed: TxnAnomaly[]; moreOps: number[] }>();

  add(type: string, op: number, explanation: string, detail: Record<string, unknown> = {}): void {
    let g = this.byType.get(type);
    if (!g) this.byType.set(type, (g = { listed: [], moreOps: [] }));
    if (g.listed.length < MAX_EXAMPLES) g.listed.push({ ...detail, type, ops: [op], explanation });
    else g.moreOps.push(op);
  }

  /** Whether anything was reported. */
  get size(): number {
    return this.byType.size;
  }

  finish(): TxnAnomaly[] {
    const out: TxnAnomaly[] = [];
    for (const [type, g] of this.byType) {
      out.push(...g.listed);
      if (g.moreOps.length) {
        const first = g.moreOps.slice(0, 5).join(', ');
        out.push({ type, ops: g.moreOps, explanation: `${g.moreOps.length} more ops have the same problem (${type}), e.g. op${g.moreOps.length > 1 ? 's' : ''} ${first}${g.moreOps.length > 5 ? ', ...' : ''}.` });
      }
    }
    return out;
  }
}

/** Readers (or other witnesses) of one fact, keeping the first few and a count: the anomaly names them. */
export class Witnesses {
  readonly ids: number[] = [];
  count = 0;
  constructor(readonly cap = MAX_EXAMPLES) {}
  add(id: number): void {
    if (this.ids[this.ids.length - 1] === id) return;
    this.count++;
    if (this.ids.length < this.cap) this.ids.push(id);
  }
}

/**
 * One pass over the txns for what every inference needs first: outcome codes, where each txn's micro-ops start in
 * flat per-micro-op arrays (`off`, length n + 1), and the stride that packs a micro-op position into one number
 * (txn id * stride + mop index).
 */
export function txnLayout(txns: readonly Txn[]): { types: Uint8Array; off: Int32Array; stride: number } {
  const n = txns.length;
  const types = new Uint8Array(n);
  const off = new Int32Array(n + 1);
  let stride = 1;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t = txns[i]!;
    types[i] = t.type === 'ok' ? TXN_OK : t.type === 'info' ? TXN_INFO : TXN_FAIL;
    const m = t.mops.length;
    if (m > stride) stride = m;
    total += m;
    off[i + 1] = total;
  }
  return { types, off, stride };
}

/**
 * Key registry: normalised key -> dense id (in first-seen order), with `make(id, raw)` building a new key's state
 * from the key as it first appeared.
 */
export function keyRegistry<K>(make: (id: number, raw: unknown) => K): { keys: K[]; keyOf: (raw: unknown) => number } {
  const keys: K[] = [];
  const keyIds = new Map<unknown, number>();
  const keyOf = (raw: unknown): number => {
    const nk = normValue(raw);
    let id = keyIds.get(nk);
    if (id === undefined) {
      id = keys.length;
      keyIds.set(nk, id);
      keys.push(make(id, raw));
    }
    return id;
  };
  return { keys, keyOf };
}

/** What `inferenceScaffold`'s `excludeDuplicates` needs of a key's state. */
interface DuplicateKey {
  key: unknown;
  /** Values written more than once -> every packed (txn id * stride + mop index) write of them. */
  dupes: Map<number, number[]> | null;
  excluded: boolean;
}

/**
 * The setup both inferences start with (txn layout, packed micro-op positions, skipped txns, unknowns, anomaly
 * buckets listed in `anomalyOrder`, key id per micro-op) and the steps they share: leaving out keys with a
 * duplicate write, and assembling the Inference. Imported functions and constants come back as properties too:
 * callers destructure everything into local consts, so hot loops never go through an imported binding (some
 * loaders turn those into getters).
 */
export function inferenceScaffold(txns: readonly Txn[], opts: TxnCheckOptions, anomalyOrder: readonly string[]) {
  const n = txns.length;
  const maxChars = opts.maxValueChars ?? DEFAULT_MAX_CHARS;
  const show = (v: unknown) => abbreviate(v, maxChars);
  const { types, off, stride } = txnLayout(txns);
  const txnOf = (packed: number) => Math.floor(packed / stride);
  const mopOf = (packed: number) => packed % stride;
  const skipped = new Uint8Array(n);
  const unknowns = new UnknownCollector();
  const buckets = new Map<string, TxnAnomaly[]>(anomalyOrder.map((t) => [t, []]));
  const report = (a: TxnAnomaly) => buckets.get(a.type)!.push(a);
  /** Key id per micro-op (-1 for skipped txns). */
  const mopKey = new Int32Array(off[n]!).fill(-1);

  /**
   * Leave out every key with a duplicate write (`noun` `verb` more than once, e.g. element / appended): its writes
   * cannot be told apart, so the verdict is unknown (`type`, naming the first such value; `why` says what is lost).
   */
  const excludeDuplicates = (keys: readonly DuplicateKey[], type: string, noun: string, verb: string, why: string): void => {
    for (const ks of keys) {
      if (!ks.dupes) continue;
      ks.excluded = true;
      const packs = ks.dupes.values().next().value as number[];
      const writers = packs.map((p) => txns[txnOf(p)]!);
      const raw = writers[0]!.mops[mopOf(packs[0]!)]![2];
      const more = ks.dupes.size - 1;
      unknowns.add(
        type,
        writers[0]!.index,
        `Key ${show(ks.key)}: ${noun} ${show(raw)} was ${verb} ${packs.length} times (${txnList(writers)})` +
          `${more > 0 ? `, and ${more} more ${noun}${more > 1 ? 's were' : ' was'} ${verb} more than once` : ''}. ` +
          `${verb[0]!.toUpperCase()}${verb.slice(1)} ${noun}s must be unique per key, so ${why} and the key is left out of the analysis.`,
        { key: ks.key, [noun]: raw, writers: writers.map((w) => w.index) },
      );
    }
  };

  /** The Inference: reported anomalies in `anomalyOrder` (discovery order within a type), then the unknowns. */
  const finish = (explainEdge: (from: number, to: number, kind: DataEdgeKind) => EdgeWhy | undefined): Inference => {
    const anomalies: TxnAnomaly[] = [];
    for (const t of anomalyOrder) anomalies.push(...buckets.get(t)!);
    return { txns: txns as Txn[], anomalies, unknowns: unknowns.finish(), explainEdge };
  };

  return {
    normValue,
    sameValue,
    TXN_OK,
    TXN_FAIL,
    n,
    maxChars,
    show,
    types,
    off,
    stride,
    txnOf,
    mopOf,
    skipped,
    unknowns,
    report,
    mopKey,
    excludeDuplicates,
    finish,
  };
}
