/**
 * rw-register inference (txn-anomalies.md §3, §4, §6): blind writes and reads of single values. Reads name their
 * writer directly (writes are unique per key), but the version order must be pieced together from partial sources,
 * merged per key into a version graph:
 * - `initial-state` (always): nil, every key's first value, precedes every other version;
 * - `wfr-keys`: a txn that read v and then wrote v' of the same key puts v before v';
 * - `sequential-keys`: each process sees a key's versions in order (its last value of k before its next one);
 * - `linearizable-keys`: a txn that completed before another began saw an earlier-or-equal version.
 * A source that would make a key's version graph cyclic is dropped for that key and reported as `cyclic-versions`.
 *
 * Only a txn's external reads (the first read of k before any write of k; ok txns only) and external writes (its last
 * write of k; ok and info txns) take part in edges: ww between writers of consecutive versions, wr from the writer of
 * a version to its readers, rw from readers of a version to the writers of the versions right after it. A key with a
 * duplicate write is left out (unknown `duplicate-writes`); a read of a value nobody wrote is the unknown
 * `garbage-read`.
 *
 * Cost: linear in the micro-ops plus the version edges; per-txn facts live in typed arrays ("touches": one per txn
 * and key), readers of a version in a linked list of typed arrays. Only rw edges from readers of nil to every
 * writer of the key are quadratic per key, as in Elle (keys retire after a bounded number of writes).
 */
import { describeMop, txnList, txnRef } from './format.js';
import { MAX_EXAMPLES, Witnesses, edgeAllowed, edgeEmitter, inferenceScaffold, keyRegistry } from './txns.js';
import type { DataEdgeKind, EdgeSink, EdgeWhy, Inference, Txn, TxnCheckOptions } from './types.js';

/** Version-order sources, in the order they are merged (Elle's names); index = the source code in edge records. */
const SOURCES = ['initial-state', 'wfr-keys', 'sequential-keys', 'linearizable-keys'] as const;
type SourceName = (typeof SOURCES)[number];

const ANOMALY_ORDER = ['cyclic-versions', 'G1a', 'G1b', 'lost-update', 'internal', 'future-read'];

/** Fields per version edge in flat arrays: from, to, source code, witness txns a and b (-1 when none). */
const EDGE = 5;

/** What inference knows about one key. Versions are numbered per key; 0 is nil. */
interface RegKey {
  id: number;
  key: unknown;
  dupes: Map<number, number[]> | null;
  /** Versions some txn overwrote itself later (reading them from another txn is G1b). */
  intermediate: Set<number> | null;
  excluded: boolean;
  /**
   * Normalised value -> version (every value written or read); per version: its value as first seen, the packed
   * (txn id * stride + mop index) write of it by any txn or -1, its external writer (txn id) or -1, and the head of
   * its external readers' list.
   */
  vid: Map<unknown, number>;
  vals: unknown[];
  wrote: number[];
  writer: number[];
  readerHead: number[];
  /** Merged explicit version edges (flat, EDGE fields each; nil -> every version is implicit). */
  edges: number[];
  /** Codes (from * versions + to) of `edges`, built on the first explanation that needs them. */
  edgeCodes: Set<number> | null;
  /** Edges proposed by each optional source (flat, EDGE fields each), before merging. */
  proposed: number[][] | null;
}

/** Witnesses of one value of one key (G1a, G1b, garbage-read). */
interface ValueGroup {
  raw: unknown;
  writer: number;
  w: Witnesses;
}

/** Infer rw-register dependencies and non-cycle anomalies; edges go to `sink`, reasons are recomputed on demand. */
export function inferRwRegister(txns: readonly Txn[], sink: EdgeSink, opts: TxnCheckOptions = {}): Inference {
  // Everything comes back as local consts: some loaders turn imported bindings into getters, which hot loops should not pay for.
  const { normValue, sameValue, TXN_OK, TXN_FAIL, n, maxChars, show, types, off, stride, txnOf, mopOf, skipped, unknowns, report, mopKey, excludeDuplicates, finish } =
    inferenceScaffold(txns, opts, ANOMALY_ORDER);
  /** Version written by each write micro-op. */
  const mopVer = new Int32Array(off[n]!);

  const { keys, keyOf } = keyRegistry<RegKey>((id, raw) => ({ id, key: raw, dupes: null, intermediate: null, excluded: false, vid: new Map([[null, 0]]), vals: [null], wrote: [-1], writer: [-1], readerHead: [-1], edges: [], edgeCodes: null, proposed: null }));
  const versionOf = (ks: RegKey, v: unknown): number => {
    const e = normValue(v);
    let x = ks.vid.get(e);
    if (x === undefined) {
      x = ks.vals.length;
      ks.vid.set(e, x);
      ks.vals.push(v);
      ks.wrote.push(-1);
      ks.writer.push(-1);
      ks.readerHead.push(-1);
    }
    return x;
  };

  // ---- pass 1: validate each txn, then index its keys and every write ------------------------------------------
  for (let id = 0; id < n; id++) {
    const t = txns[id]!;
    const m = t.mops.length;
    let bad = false;
    for (let i = 0; i < m && !bad; i++) {
      const mop = t.mops[i]!;
      if (mop[0] !== 'w' && mop[0] !== 'r') {
        unknowns.add('unknown-mop', t.index, `${txnRef(t)}: micro-op ${i} is ${describeMop(mop, maxChars)}, but rw-register transactions may only w (write) and r (read); the transaction is left out.`, { key: mop[1], mop: i });
        bad = true;
      } else if (mop[0] === 'w' && (mop[2] === null || mop[2] === undefined)) {
        unknowns.add('malformed-txn', t.index, `${txnRef(t)}: micro-op ${i} writes nil to key ${show(mop[1])}: every key starts as nil, so writes must be non-nil values; the transaction is left out.`, { key: mop[1], mop: i });
        bad = true;
      }
    }
    if (bad) {
      skipped[id] = 1;
      continue;
    }
    const base = off[id]!;
    for (let i = 0; i < m; i++) mopKey[base + i] = keyOf(t.mops[i]![1]);
    for (let i = 0; i < m; i++) {
      const mop = t.mops[i]!;
      if (mop[0] !== 'w') continue;
      const ks = keys[mopKey[base + i]!]!;
      const v = versionOf(ks, mop[2]);
      mopVer[base + i] = v;
      const packed = id * stride + i;
      const prev = ks.wrote[v]!;
      if (prev >= 0) {
        ks.dupes ??= new Map();
        const list = ks.dupes.get(v);
        if (list) list.push(packed);
        else ks.dupes.set(v, [prev, packed]);
      } else ks.wrote[v] = packed;
      for (let j = i + 1; j < m; j++) {
        if (t.mops[j]![0] === 'w' && mopKey[base + j] === ks.id) {
          (ks.intermediate ??= new Set()).add(v);
          break;
        }
      }
    }
  }
  excludeDuplicates(keys, 'duplicate-writes', 'value', 'written', 'reads of this key cannot name their writer');

  // ---- pass 2: external reads and writes per txn ("touches"), per-read anomalies ---------------------------------
  // Touch j (tOff[id] <= j < tOff[id + 1]) of txn id: its key, external read (version, mop) and external write.
  const cap = off[n]!;
  const tOff = new Int32Array(n + 1);
  const tKey = new Int32Array(cap);
  const tRv = new Int32Array(cap);
  const tRm = new Int32Array(cap);
  const tWv = new Int32Array(cap);
  const tWm = new Int32Array(cap);
  // Readers of a version: a linked list through these (head per version in RegKey.readerHead).
  const rTxn = new Int32Array(cap);
  const rNext = new Int32Array(cap);
  let rn = 0;
  let tn = 0;
  // Per touch of the current txn: the value it last read or wrote (for internal consistency).
  const known: unknown[] = [];
  const hasKnown: boolean[] = [];

  const g1a = new Map<number, Map<number, ValueGroup>>();
  const g1b = new Map<number, Map<number, ValueGroup>>();
  const garbage = new Map<number, Map<number, ValueGroup>>();
  const lost = new Map<number, Map<number, number | number[]>>();
  const group = (m: Map<number, Map<number, ValueGroup>>, ks: RegKey, v: number, raw: unknown, writer: number, reader: number) => {
    let km = m.get(ks.id);
    if (!km) m.set(ks.id, (km = new Map()));
    let g = km.get(v);
    if (!g) km.set(v, (g = { raw, writer, w: new Witnesses() }));
    g.w.add(reader);
  };

  for (let id = 0; id < n; id++) {
    tOff[id] = tn;
    if (!skipped[id] && types[id] !== TXN_FAIL) touchTxn(id);
  }
  tOff[n] = tn;

  /** Touches of one ok or info txn, its reads' anomalies, and its external readers / writers (a function of its own so the engine optimises it). */
  function touchTxn(id: number): void {
    const ok = types[id] === TXN_OK;
    const t = txns[id]!;
    const base = off[id]!;
    const start = tn;
    let internalDone = false;
    let futureDone = false;
    for (let i = 0; i < t.mops.length; i++) {
      const k = mopKey[base + i]!;
      const ks = keys[k]!;
      if (ks.excluded) continue;
      const mop = t.mops[i]!;
      const f = mop[0];
      if (f === 'r' && !ok) continue; // reads of info txns are not trusted
      let j = start;
      while (j < tn && tKey[j] !== k) j++;
      if (j === tn) {
        tKey[tn] = k;
        tRv[tn] = tRm[tn] = tWv[tn] = tWm[tn] = -1;
        known[tn - start] = undefined;
        hasKnown[tn - start] = false;
        tn++;
      }
      const s = j - start;
      if (f === 'w') {
        tWv[j] = mopVer[base + i]!;
        tWm[j] = i;
        known[s] = mop[2];
        hasKnown[s] = true;
        continue;
      }
      // An ok read.
      const value = mop[2] === undefined ? null : mop[2];
      const rv = versionOf(ks, value);
      if (tRv[j]! < 0 && tWv[j]! < 0) {
        tRv[j] = rv;
        tRm[j] = i;
      }
      if (!internalDone && hasKnown[s] && !sameValue(known[s], value)) {
        internalDone = true;
        report({
          type: 'internal',
          ops: [t.index],
          key: ks.key,
          mop: i,
          expected: known[s],
          explanation: `${txnRef(t)} read key ${show(ks.key)} = ${show(value)} at micro-op ${i}, but its own earlier micro-ops on that key imply ${show(known[s])}: a transaction must observe its own reads and writes.`,
        });
      }
      known[s] = value;
      hasKnown[s] = true;
      if (rv === 0) continue;
      const w = ks.wrote[rv]!;
      if (w < 0) {
        group(garbage, ks, rv, value, -1, id);
        continue;
      }
      const wt = txnOf(w);
      if (wt === id) {
        if (!futureDone && mopOf(w) > i) {
          futureDone = true;
          report({
            type: 'future-read',
            ops: [t.index],
            key: ks.key,
            mop: i,
            value,
            explanation: `${txnRef(t)} read key ${show(ks.key)} = ${show(value)} at micro-op ${i}, a value it only writes later, at micro-op ${mopOf(w)}.`,
          });
        }
        continue;
      }
      if (types[wt] === TXN_FAIL) group(g1a, ks, rv, value, wt, id);
      else if (ks.intermediate?.has(rv)) group(g1b, ks, rv, value, wt, id);
    }
    // External writers and readers, and lost-update candidates (read and wrote the key, committed).
    for (let j = start; j < tn; j++) {
      const ks = keys[tKey[j]!]!;
      const wv = tWv[j]!;
      const rv = tRv[j]!;
      if (wv >= 0) ks.writer[wv] = id;
      if (rv < 0) continue;
      rTxn[rn] = id;
      rNext[rn] = ks.readerHead[rv]!;
      ks.readerHead[rv] = rn++;
      if (wv >= 0) {
        let km = lost.get(ks.id);
        if (!km) lost.set(ks.id, (km = new Map()));
        const prev = km.get(rv);
        if (prev === undefined) km.set(rv, id);
        else if (typeof prev === 'number') km.set(rv, [prev, id]);
        else prev.push(id);
      }
    }
  }

  /** First / final version txn `id` interacted with on touch j (-1 when none). */
  const firstV = (id: number, j: number) => (types[id] === TXN_OK && tRv[j]! >= 0 ? tRv[j]! : tWv[j]!);
  const finalV = (id: number, j: number) => (tWv[j]! >= 0 ? tWv[j]! : types[id] === TXN_OK ? tRv[j]! : -1);

  // ---- version-order sources ----------------------------------------------------------------------------------------
  /** Source `src` (1 wfr, 2 sequential, 3 linearizable) says version `from` < `to` of key k, witnessed by txns a, b. */
  const propose = (src: number, k: number, from: number, to: number, a: number, b: number) => {
    if (from < 0 || to < 0 || from === to) return;
    const ks = keys[k]!;
    const list = (ks.proposed ??= [[], [], []])[src - 1]!;
    list.push(from, to, src, a, b);
  };
  if (opts.wfrKeys) {
    for (let id = 0; id < n; id++) {
      if (types[id] !== TXN_OK) continue;
      for (let j = tOff[id]!; j < tOff[id + 1]!; j++) if (tRv[j]! > 0 && tWv[j]! >= 0) propose(1, tKey[j]!, tRv[j]!, tWv[j]!, id, id);
    }
  }
  // The txn of each touch (for the session sources).
  const txnOfTouch = opts.sequentialKeys || opts.linearizableKeys ? new Int32Array(tn) : new Int32Array(0);
  if (opts.sequentialKeys || opts.linearizableKeys) for (let id = 0; id < n; id++) for (let j = tOff[id]!; j < tOff[id + 1]!; j++) txnOfTouch[j] = id;
  if (opts.sequentialKeys) {
    // Per process, per key: the touch where the process last interacted with the key.
    const last = new Map<unknown, Map<number, number>>();
    for (let id = 0; id < n; id++) {
      if (tOff[id + 1] === tOff[id]) continue;
      const p = txns[id]!.process;
      let pm = last.get(p);
      if (!pm) last.set(p, (pm = new Map()));
      for (let j = tOff[id]!; j < tOff[id + 1]!; j++) {
        const k = tKey[j]!;
        const prev = pm.get(k);
        if (prev !== undefined) {
          const a = txnOfTouch[prev]!;
          propose(2, k, finalV(a, prev), firstV(id, j), a, id);
        }
        if (finalV(id, j) >= 0) pm.set(k, j);
      }
    }
  }
  if (opts.linearizableKeys) linearizableSource();

  /**
   * Realtime order per key, transitively reduced: a buffer per key of the ok txns that completed most recently;
   * a completion drops the buffered txns that completed before it began (they precede it).
   */
  function linearizableSource(): void {
    const cpos = new Float64Array(n);
    let completions: number[] = [];
    let maxPos = 0;
    for (let id = 0; id < n; id++) {
      cpos[id] = txns[id]!.completePos;
      if (types[id] === TXN_OK && tOff[id + 1]! > tOff[id]!) {
        completions.push(id);
        if (cpos[id]! > maxPos) maxPos = cpos[id]!;
      }
    }
    if (Number.isInteger(maxPos) && maxPos <= 4 * n + 1024) {
      // Positions are history positions: a bucket per position sorts them in linear time.
      const at = new Int32Array(maxPos + 1).fill(-1);
      for (const id of completions) at[cpos[id]!] = id;
      completions = [];
      for (const id of at) if (id >= 0) completions.push(id);
    } else completions.sort((a, b) => cpos[a]! - cpos[b]!);
    const buffers = new Map<number, number[]>(); // key -> touches of buffered txns
    let c = 0;
    for (let id = 0; id < n; id++) {
      const inv = txns[id]!.invokePos;
      while (c < completions.length && cpos[completions[c]!]! < inv) complete(completions[c++]!);
      for (let j = tOff[id]!; j < tOff[id + 1]!; j++) {
        const first = firstV(id, j);
        if (first < 0) continue;
        const buf = buffers.get(tKey[j]!);
        if (buf) for (const x of buf) propose(3, tKey[j]!, finalV(txnOfTouch[x]!, x), first, txnOfTouch[x]!, id);
      }
    }
    function complete(a: number): void {
      const inv = txns[a]!.invokePos;
      for (let j = tOff[a]!; j < tOff[a + 1]!; j++) {
        if (finalV(a, j) < 0) continue;
        let buf = buffers.get(tKey[j]!);
        if (!buf) buffers.set(tKey[j]!, (buf = []));
        let keep = 0;
        for (const x of buf) if (cpos[txnOfTouch[x]!]! > inv) buf[keep++] = x;
        buf.length = keep;
        buf.push(j);
      }
    }
  }

  // ---- merge the sources per key, dropping any that would make the versions cyclic --------------------------------
  for (const ks of keys) {
    if (ks.excluded || !ks.proposed) continue;
    const V = ks.vals.length;
    for (let src = 1; src <= 3; src++) {
      const cand = ks.proposed[src - 1]!;
      if (cand.length === 0) continue;
      const cycle = findCycle(V, ks.edges, cand);
      if (cycle) {
        reportCycle(ks, SOURCES[src]!, cycle);
        continue;
      }
      if (ks.edges.length === 0) ks.edges = cand;
      else for (const x of cand) ks.edges.push(x);
    }
    ks.proposed = null;
  }

  function reportCycle(ks: RegKey, source: SourceName, cycle: number[]): void {
    const witnesses = new Set<number>();
    const steps: string[] = [];
    const values: unknown[] = [];
    for (let i = 0; i < cycle.length; i += EDGE) {
      const from = cycle[i]!;
      const to = cycle[i + 1]!;
      const src = cycle[i + 2]!;
      const a = cycle[i + 3]!;
      const b = cycle[i + 4]!;
      if (a >= 0) witnesses.add(txns[a]!.index);
      if (b >= 0) witnesses.add(txns[b]!.index);
      values.push(ks.vals[from]);
      steps.push(`${show(ks.vals[from])} < ${show(ks.vals[to])} (${whyVersion(src, a, b)})`);
    }
    report({
      type: 'cyclic-versions',
      ops: [...witnesses].sort((x, y) => x - y),
      key: ks.key,
      source,
      cycle: values,
      explanation:
        `Key ${show(ks.key)}: the version order from ${source} contradicts what was already known, so that source was not used for this key. ` +
        `The versions would form a cycle: ${steps.join('; ')}.`,
    });
  }

  function whyVersion(src: number, a: number, b: number): string {
    switch (SOURCES[src]) {
      case 'wfr-keys':
        return `${txnRef(txns[a]!)} read the first and then wrote the second`;
      case 'sequential-keys':
        return `process ${String(txns[a]!.process)} ran ${txnRef(txns[a]!)} before ${txnRef(txns[b]!)}`;
      case 'linearizable-keys':
        return `${txnRef(txns[a]!)} completed before ${txnRef(txns[b]!)} began`;
      default:
        return 'every key starts as nil';
    }
  }

  // ---- edges -----------------------------------------------------------------------------------------------------------
  const emit = edgeEmitter(sink, types, skipped);
  for (const ks of keys) {
    if (ks.excluded) continue;
    const V = ks.vals.length;
    for (let v = 1; v < V; v++) {
      const w = ks.writer[v]!;
      if (w >= 0) for (let r = ks.readerHead[v]!; r >= 0; r = rNext[r]!) emit(w, rTxn[r]!, 'wr');
    }
    // nil precedes every version: rw from each reader of nil to every writer.
    for (let r = ks.readerHead[0]!; r >= 0; r = rNext[r]!) {
      for (let v = 1; v < V; v++) if (ks.writer[v]! >= 0) emit(rTxn[r]!, ks.writer[v]!, 'rw');
    }
    const E = ks.edges;
    for (let i = 0; i < E.length; i += EDGE) {
      const from = E[i]!;
      const w2 = ks.writer[E[i + 1]!]!;
      if (w2 < 0 || from === 0) continue; // nil's edges are covered above
      if (ks.writer[from]! >= 0) emit(ks.writer[from]!, w2, 'ww');
      for (let r = ks.readerHead[from]!; r >= 0; r = rNext[r]!) emit(rTxn[r]!, w2, 'rw');
    }
  }

  // ---- per-key anomalies and the garbage-read unknowns ------------------------------------------------------------
  for (const ks of keys) {
    if (ks.excluded) continue;
    for (const g of g1a.get(ks.id)?.values() ?? []) {
      const wt = txns[g.writer]!;
      const rs = g.w.ids.map((r) => txns[r]!);
      report({
        type: 'G1a',
        ops: [wt.index, ...rs.map((r) => r.index)],
        key: ks.key,
        value: g.raw,
        writer: wt.index,
        readers: rs.map((r) => r.index),
        readCount: g.w.count,
        explanation: `Key ${show(ks.key)}: ${show(g.raw)} was written by ${txnRef(wt)}, which failed (aborted), yet committed ${txnList(rs, g.w.count)} read it (aborted read).`,
      });
    }
    for (const g of g1b.get(ks.id)?.values() ?? []) {
      const wt = txns[g.writer]!;
      const rs = g.w.ids.map((r) => txns[r]!);
      report({
        type: 'G1b',
        ops: [wt.index, ...rs.map((r) => r.index)],
        key: ks.key,
        value: g.raw,
        writer: wt.index,
        readers: rs.map((r) => r.index),
        readCount: g.w.count,
        explanation:
          `Key ${show(ks.key)}: ${txnRef(wt)} wrote ${show(g.raw)} and then overwrote it in the same transaction, ` +
          `yet ${txnList(rs, g.w.count)} read ${show(g.raw)}: an intermediate state of another transaction (intermediate read).`,
      });
    }
    for (const [r, ids] of lost.get(ks.id) ?? []) {
      if (typeof ids === 'number') continue;
      const rs = ids.map((x) => txns[x]!);
      report({
        type: 'lost-update',
        ops: rs.slice(0, MAX_EXAMPLES).map((x) => x.index),
        key: ks.key,
        value: ks.vals[r],
        txnCount: ids.length,
        explanation: `Key ${show(ks.key)}: ${txnList(rs)} all read ${show(ks.vals[r])} and then wrote the key, and all committed: in a serial order only one of them could have read that version (lost update).`,
      });
    }
    for (const g of garbage.get(ks.id)?.values() ?? []) {
      const rs = g.w.ids.map((x) => txns[x]!);
      unknowns.add(
        'garbage-read',
        rs[0]!.index,
        `Key ${show(ks.key)}: ${txnList(rs, g.w.count)} read ${show(g.raw)}, which no transaction in the history wrote ` +
          `(the store held data from before the test, a txn was left out as malformed, or the store invented it); its writer is unknown.`,
        { key: ks.key, value: g.raw, readers: rs.map((r) => r.index), readCount: g.w.count },
      );
    }
  }

  // ---- explanations, recomputed from the touches and the merged version graph --------------------------------------
  const touch = (id: number, k: number): number => {
    for (let j = tOff[id]!; j < tOff[id + 1]!; j++) if (tKey[j] === k) return j;
    return -1;
  };
  const hasVersionEdge = (ks: RegKey, from: number, to: number): boolean => {
    if (from === 0 && to > 0) return true;
    const V = ks.vals.length;
    if (!ks.edgeCodes) {
      ks.edgeCodes = new Set();
      for (let i = 0; i < ks.edges.length; i += EDGE) ks.edgeCodes.add(ks.edges[i]! * V + ks.edges[i + 1]!);
    }
    return ks.edgeCodes.has(from * V + to);
  };

  function explainEdge(from: number, to: number, kind: DataEdgeKind): EdgeWhy | undefined {
    if (!Number.isInteger(from) || !Number.isInteger(to) || !edgeAllowed(from, to, types, skipped)) return undefined;
    for (let j = tOff[from]!; j < tOff[from + 1]!; j++) {
      const ks = keys[tKey[j]!]!;
      const jb = touch(to, ks.id);
      if (jb < 0) continue;
      if (kind === 'wr') {
        const v = tRv[jb]!;
        if (v > 0 && tWv[j] === v && ks.writer[v] === from && types[to] === TXN_OK) {
          const x = ks.vals[v];
          return { kind, key: ks.key, value: x, aMop: tWm[j]!, bMop: tRm[jb]!, text: `%b read key ${show(ks.key)} = ${show(x)}, which %a wrote` };
        }
      } else if (kind === 'ww') {
        const v1 = tWv[j]!;
        const v2 = tWv[jb]!;
        if (v1 > 0 && v2 > 0 && ks.writer[v1] === from && ks.writer[v2] === to && hasVersionEdge(ks, v1, v2)) {
          return { kind, key: ks.key, value: ks.vals[v1], value2: ks.vals[v2], aMop: tWm[j]!, bMop: tWm[jb]!, text: `%a set key ${show(ks.key)} to ${show(ks.vals[v1])}, and %b set it to ${show(ks.vals[v2])} after` };
        }
      } else {
        const v1 = tRv[j]!;
        const v2 = tWv[jb]!;
        if (v1 >= 0 && v2 > 0 && ks.writer[v2] === to && hasVersionEdge(ks, v1, v2)) {
          return {
            kind,
            key: ks.key,
            value: ks.vals[v1],
            value2: ks.vals[v2],
            aMop: tRm[j]!,
            bMop: tWm[jb]!,
            text: `%a read key ${show(ks.key)} = ${show(ks.vals[v1])}, and %b set it to the next version, ${show(ks.vals[v2])}`,
          };
        }
      }
    }
    return undefined;
  }

  return finish(explainEdge);
}

/**
 * A cycle in the version graph on versions 0..V-1 made of `edges` + `cand` (flat, EDGE fields each) plus the implicit
 * nil -> every version, as flat edge records in cycle order; undefined when acyclic. Kahn's algorithm over a CSR
 * layout, then a walk backwards through the versions it could not remove.
 */
function findCycle(V: number, edges: readonly number[], cand: readonly number[]): number[] | undefined {
  const all = (i: number) => (i < edges.length ? edges : cand);
  const at = (i: number) => (i < edges.length ? i : i - edges.length);
  const total = edges.length + cand.length;
  const indeg = new Int32Array(V);
  const start = new Int32Array(V + 1);
  for (let i = 0; i < total; i += EDGE) {
    const e = all(i);
    const x = at(i);
    start[e[x]! + 1]!++;
    indeg[e[x + 1]!]!++;
  }
  for (let v = 1; v < V; v++) indeg[v]!++; // nil -> v
  for (let v = 0; v < V; v++) start[v + 1]! += start[v]!;
  const fill = start.slice(0, V);
  const succ = new Int32Array(total / EDGE);
  for (let i = 0; i < total; i += EDGE) {
    const e = all(i);
    const x = at(i);
    succ[fill[e[x]!]!++] = e[x + 1]!;
  }
  const queue = new Int32Array(V);
  let qn = 0;
  const removed = new Uint8Array(V);
  for (let v = 0; v < V; v++) if (indeg[v] === 0) queue[qn++] = v;
  for (let q = 0; q < qn; q++) {
    const v = queue[q]!;
    removed[v] = 1;
    if (v === 0) for (let w = 1; w < V; w++) if (--indeg[w]! === 0) queue[qn++] = w;
    for (let s = start[v]!; s < start[v + 1]!; s++) if (--indeg[succ[s]!]! === 0) queue[qn++] = succ[s]!;
  }
  if (qn === V) return undefined;
  // Every version left has a predecessor left: walk backwards until one repeats.
  const into = new Int32Array(V).fill(-1); // index (into the virtual concatenation) of an edge from a version left
  for (let i = 0; i < total; i += EDGE) {
    const e = all(i);
    const x = at(i);
    if (!removed[e[x]!] && !removed[e[x + 1]!] && into[e[x + 1]!] === -1) into[e[x + 1]!] = i;
  }
  const record = (i: number): number[] => {
    const e = all(i);
    const x = at(i);
    return [e[x]!, e[x + 1]!, e[x + 2]!, e[x + 3]!, e[x + 4]!];
  };
  let v = 0;
  while (removed[v]) v++;
  const seenAt = new Map<number, number>();
  const path: number[][] = [];
  while (!seenAt.has(v)) {
    seenAt.set(v, path.length);
    const i = into[v]!;
    // nil left means nil itself is on a cycle; its implicit edge into v closes it.
    const rec = i >= 0 ? record(i) : [0, v, 0, -1, -1];
    path.push(rec);
    v = rec[0]!;
  }
  return path.slice(seenAt.get(v)!).reverse().flat();
}
