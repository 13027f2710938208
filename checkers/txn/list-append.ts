/**
 * List-append inference (txn-anomalies.md §3, §4, §6, §8): every read of a key reveals a prefix of that key's whole
 * append order, so the longest read orders the appends and each read pins down exactly which version it saw. From
 * that we emit ww / wr / rw edges and find the anomalies a linear scan can prove (G1a, G1b, internal, future-read,
 * dirty-update, duplicate-elements, incompatible-order, lost-update).
 *
 * Rules kept here (and mirrored by `explainEdge`, which recomputes an edge's reason from the same indexes):
 * - reads are trusted only in ok txns; edges leave only ok txns and may enter info txns (see `edgeEmitter`);
 * - the order of a key is its longest ok read (first such read on ties), repeats dropped; a key nobody read
 *   non-empty with exactly one ok/info append has the order [x];
 * - ww: consecutive elements of the order; an append nobody read comes after the last observed element;
 * - wr: the writer of a read's last element -> the reader;
 * - rw: a reader -> the writer of the element right after the last one it saw (the first element for an empty
 *   read); a read of the last observed version also precedes every append nobody read, as in Elle;
 * - reads that are not a prefix of the order still give wr edges but no rw edges (they are incompatible-order).
 * A key with a duplicate append is left out entirely and reported as the unknown `duplicate-appends`; a read of an
 * element nobody appended is the unknown `garbage-read` (its writer, hence the verdict, is unknown).
 *
 * Cost: three passes over the txns plus one over each key's order; per key one Map from element to a slot, with
 * the slot's writer and order position in plain arrays, so a million txns infer in seconds.
 */
import { describeMop, txnList, txnRef } from './format.js';
import { MAX_EXAMPLES, Witnesses, edgeAllowed, edgeEmitter, inferenceScaffold, keyRegistry, sameValue as sameValueImported } from './txns.js';
import type { DataEdgeKind, EdgeSink, EdgeWhy, Inference, Txn, TxnCheckOptions } from './types.js';

/** The order anomalies are listed in (discovery order within a type). */
const ANOMALY_ORDER = ['incompatible-order', 'duplicate-elements', 'G1a', 'G1b', 'dirty-update', 'lost-update', 'internal', 'future-read'];

/** Everything inference knows about one key. Elements live in slots: every appended or observed element has one. */
interface KeyState {
  id: number;
  /** The key as it first appeared (for messages and EdgeWhy). */
  key: unknown;
  /** Normalised element -> slot. */
  slots: Map<unknown, number>;
  /** Per slot: packed (txn id * stride + mop index) of its append, or -1 when nobody appended it. */
  writer: number[];
  /** Per slot: position in `order`, or -1 when no read observed it. */
  pos: number[];
  /** Slots appended more than once -> every packed append of them. */
  dupes: Map<number, number[]> | null;
  /** Slots that are not their writer's final append to this key (G1b when another txn reads them last). */
  intermediate: Set<number> | null;
  /** ok/info appends, and the slot of the last one (the order of a never-read key with a single append). */
  possible: number;
  lastPossible: number;
  /** Longest ok read and where it is (packed). */
  longest: readonly unknown[] | null;
  longestAt: number;
  /** Left out of the analysis (duplicate appends). */
  excluded: boolean;
  /** The version order as slots (repeats in the longest read dropped). */
  order: number[];
  /** Whether the longest read held an element twice (its positions then differ from `order`'s). */
  hasDupes: boolean;
  /** Slots of ok/info appends no read observed, in first-append order. */
  unread: number[];
  /** Elements nobody appended, as read (slot -> raw element). */
  unwritten: Map<number, unknown> | null;
}

/**
 * Readers grouped by a position of the longest read (a failed or unknown element, or the first repeat): a prefix
 * read of length L contains every position below L. Groups fill in position order (a read that covers a position
 * covers all earlier ones), so full groups are skipped and the work stays linear; counts come from a histogram of
 * read lengths.
 */
class PositionGroups {
  readonly groups: { pos: number; slot: number; raw: unknown; readers: number[] }[] = [];
  private firstOpen = 0;
  private readonly lengths = new Map<number, number>();

  add(pos: number, slot: number, raw: unknown): void {
    this.groups.push({ pos, slot, raw, readers: [] });
  }

  /** A prefix read of length `len` by txn `reader`. */
  prefixRead(len: number, reader: number): void {
    if (len <= this.groups[0]!.pos) return;
    this.lengths.set(len, (this.lengths.get(len) ?? 0) + 1);
    for (let j = this.firstOpen; j < this.groups.length && this.groups[j]!.pos < len; j++) {
      const r = this.groups[j]!.readers;
      if (r[r.length - 1] !== reader) r.push(reader);
    }
    while (this.firstOpen < this.groups.length && this.groups[this.firstOpen]!.readers.length >= MAX_EXAMPLES) this.firstOpen++;
  }

  /** Per group, how many prefix reads contained its position. */
  counts(): number[] {
    const lens = [...this.lengths.entries()].sort((a, b) => b[0] - a[0]);
    const out = new Array<number>(this.groups.length).fill(0);
    let acc = 0;
    let li = 0;
    for (let j = this.groups.length - 1; j >= 0; j--) {
      const p = this.groups[j]!.pos;
      while (li < lens.length && lens[li]![0] > p) acc += lens[li++]![1];
      out[j] = acc;
    }
    return out;
  }
}

/** Witnesses of one element of one key (G1a, G1b, garbage-read). */
interface ElemGroup {
  raw: unknown;
  writer: number;
  readers: number[];
  count: number;
}

/** Infer list-append dependencies and non-cycle anomalies; edges go to `sink`, reasons are recomputed on demand. */
export function inferListAppend(txns: readonly Txn[], sink: EdgeSink, opts: TxnCheckOptions = {}): Inference {
  // Everything comes back as local consts: some loaders turn imported bindings into getters, which hot loops should not pay for.
  const { normValue, sameValue, TXN_OK, TXN_FAIL, n, maxChars, show, types, off, stride, txnOf, mopOf, skipped, unknowns, report, mopKey, excludeDuplicates, finish } =
    inferenceScaffold(txns, opts, ANOMALY_ORDER);
  /** 1 when an ok read is a prefix of its key's longest read (so its version is known exactly). */
  const prefixRead = new Uint8Array(off[n]!);

  const { keys, keyOf } = keyRegistry<KeyState>((id, raw) => ({ id, key: raw, slots: new Map(), writer: [], pos: [], dupes: null, intermediate: null, possible: 0, lastPossible: -1, longest: null, longestAt: -1, excluded: false, order: [], hasDupes: false, unread: [], unwritten: null }));
  const slotOf = (ks: KeyState, e: unknown): number => {
    let s = ks.slots.get(e);
    if (s === undefined) {
      s = ks.writer.length;
      ks.slots.set(e, s);
      ks.writer.push(-1);
      ks.pos.push(-1);
    }
    return s;
  };
  /** An element as it was appended (or as it was read, when nobody appended it). */
  const rawOf = (ks: KeyState, slot: number): unknown => {
    const w = ks.writer[slot]!;
    return w < 0 ? ks.unwritten?.get(slot) : txns[txnOf(w)]!.mops[mopOf(w)]![2];
  };
  /** The slot of an element some read holds, remembering how it looked when nobody appended it. */
  const readSlot = (ks: KeyState, x: unknown): number => {
    const s = slotOf(ks, normValue(x));
    if (ks.writer[s]! < 0 && !ks.unwritten?.has(s)) (ks.unwritten ??= new Map()).set(s, x);
    return s;
  };

  // ---- pass 1: validate each txn, then index its keys, appends and reads ---------------------------------------
  for (let id = 0; id < n; id++) {
    const t = txns[id]!;
    const m = t.mops.length;
    const ok = types[id] === TXN_OK;
    let bad = false;
    for (let i = 0; i < m && !bad; i++) {
      const mop = t.mops[i]!;
      const f = mop[0];
      if (f !== 'append' && f !== 'r') {
        unknowns.add('unknown-mop', t.index, `${txnRef(t)}: micro-op ${i} is ${describeMop(mop, maxChars)}, but list-append transactions may only append and r (read); the transaction is left out.`, { key: mop[1], mop: i });
        bad = true;
      } else if (f === 'r' && ok && mop[2] !== null && mop[2] !== undefined && !Array.isArray(mop[2])) {
        unknowns.add('malformed-txn', t.index, `${txnRef(t)}: micro-op ${i} read ${show(mop[2])} from key ${show(mop[1])}: expected a list of appended elements (or nil for an empty key); the transaction is left out.`, { key: mop[1], mop: i });
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
      const ks = keys[mopKey[base + i]!]!;
      if (mop[0] === 'append') {
        const s = slotOf(ks, normValue(mop[2]));
        const packed = id * stride + i;
        const prev = ks.writer[s]!;
        if (prev >= 0) {
          ks.dupes ??= new Map();
          const list = ks.dupes.get(s);
          if (list) list.push(packed);
          else ks.dupes.set(s, [prev, packed]);
        } else ks.writer[s] = packed;
        if (types[id] !== TXN_FAIL) {
          ks.possible++;
          ks.lastPossible = s;
        }
        for (let j = i + 1; j < m; j++) {
          if (t.mops[j]![0] === 'append' && mopKey[base + j] === ks.id) {
            (ks.intermediate ??= new Set()).add(s);
            break;
          }
        }
      } else if (ok && mop[2]) {
        const r = mop[2] as readonly unknown[];
        if (r.length > (ks.longest ? ks.longest.length : 0)) {
          ks.longest = r;
          ks.longestAt = id * stride + i;
        }
      }
    }
  }

  // Duplicate appends make a key's order ambiguous: leave the key out, and the verdict unknown.
  excludeDuplicates(keys, 'duplicate-appends', 'element', 'appended', "this key's order cannot be inferred");

  // ---- per key: the version order, ww edges, dirty updates, positions worth watching ---------------------------
  const emit = edgeEmitter(sink, types, skipped);
  // Created only for keys that have such positions.
  const failed: (PositionGroups | undefined)[] = new Array(keys.length);
  const garbage: (PositionGroups | undefined)[] = new Array(keys.length);
  const repeats: (PositionGroups | undefined)[] = new Array(keys.length);
  for (const ks of keys) {
    if (ks.excluded) continue;
    const order = ks.order;
    if (ks.longest) {
      const L = ks.longest;
      for (let p = 0; p < L.length; p++) {
        const s = readSlot(ks, L[p]);
        if (ks.pos[s]! >= 0) {
          if (!ks.hasDupes) (repeats[ks.id] = new PositionGroups()).add(p, s, L[p]);
          ks.hasDupes = true;
          continue;
        }
        ks.pos[s] = order.length;
        order.push(s);
        const w = ks.writer[s]!;
        if (w < 0) (garbage[ks.id] ??= new PositionGroups()).add(p, s, L[p]);
        else if (types[txnOf(w)] === TXN_FAIL) (failed[ks.id] ??= new PositionGroups()).add(p, s, L[p]);
      }
    } else if (ks.possible === 1) {
      ks.pos[ks.lastPossible] = 0;
      order.push(ks.lastPossible);
    }
    for (let s = 0; s < ks.writer.length; s++) {
      const w = ks.writer[s]!;
      if (w >= 0 && ks.pos[s]! < 0 && types[txnOf(w)] !== TXN_FAIL) ks.unread.push(s);
    }
    // ww: consecutive elements, then every unread append after the last observed element.
    for (let p = 1; p < order.length; p++) {
      const a = ks.writer[order[p - 1]!]!;
      const b = ks.writer[order[p]!]!;
      if (a >= 0 && b >= 0) emit(txnOf(a), txnOf(b), 'ww');
    }
    if (order.length > 0) {
      const last = ks.writer[order[order.length - 1]!]!;
      if (last >= 0) for (const s of ks.unread) emit(txnOf(last), txnOf(ks.writer[s]!), 'ww');
    }
    dirtyUpdates(ks);
  }

  /** A committed append in the order after a failed one, with only info (undecided) appends between them. */
  function dirtyUpdates(ks: KeyState): void {
    let failAt = -1; // position of the last failed append not yet followed by a committed one
    for (let p = 0; p < ks.order.length; p++) {
      const w = ks.writer[ks.order[p]!]!;
      if (w < 0) continue; // unknown writer: undecided
      const type = types[txnOf(w)];
      if (type === TXN_FAIL) failAt = p;
      else if (type === TXN_OK) {
        if (failAt >= 0) {
          const aw = txns[txnOf(ks.writer[ks.order[failAt]!]!)]!;
          const bw = txns[txnOf(w)]!;
          const elems = ks.order.slice(failAt, p + 1).map((s) => rawOf(ks, s));
          const between = elems.length - 2;
          report({
            type: 'dirty-update',
            ops: [aw.index, bw.index],
            key: ks.key,
            elements: elems,
            explanation:
              `Key ${show(ks.key)}: ${txnRef(bw)} committed an append of ${show(elems[elems.length - 1])} on top of ${show(elems[0])}, ` +
              `which ${txnRef(aw)} appended and then failed (aborted)${between > 0 ? `, with ${between} undecided (info) append${between > 1 ? 's' : ''} between them` : ''}: ` +
              `a committed write built on an aborted one.`,
          });
        }
        failAt = -1;
      }
    }
  }

  /**
   * Where the appends right after the version a prefix read of length `len` saw are: a position of the order (its
   * next element), or `order.length`, standing for every unread append (the read saw the last observed element,
   * or nothing was ever observed); -1 when unknown.
   */
  const nextPos = (ks: KeyState, v: readonly unknown[]): number => {
    if (v.length === 0) return 0;
    const s = ks.slots.get(normValue(v[v.length - 1]));
    return s === undefined ? -1 : ks.pos[s]! + 1;
  };

  // ---- pass 2: reads (edges, prefix check, G1a / G1b / garbage / repeats), then per-txn checks -----------------
  const incompatible = new Map<number, { txn: number; mop: number }[]>();
  const g1b = new Map<number, Map<number, ElemGroup>>();
  const elemFailed = new Map<number, Map<number, ElemGroup>>();
  const elemGarbage = new Map<number, Map<number, ElemGroup>>();
  const repeatOther = new Map<number, { w: Witnesses; example: unknown }>();
  const lost = new Map<number, Map<number, number[]>>();
  const addElem = (m: Map<number, Map<number, ElemGroup>>, k: number, slot: number, raw: unknown, writer: number, reader: number) => {
    let km = m.get(k);
    if (!km) m.set(k, (km = new Map()));
    let g = km.get(slot);
    if (!g) km.set(slot, (g = { raw, writer, readers: [], count: 0 }));
    if (g.readers[g.readers.length - 1] === reader) return;
    g.count++;
    if (g.readers.length < MAX_EXAMPLES) g.readers.push(reader);
  };

  for (let id = 0; id < n; id++) {
    if (skipped[id] || types[id] !== TXN_OK) continue;
    const t = txns[id]!;
    const m = t.mops.length;
    const base = off[id]!;
    for (let i = 0; i < m; i++) {
      const mop = t.mops[i]!;
      if (mop[0] !== 'r') continue;
      const ks = keys[mopKey[base + i]!]!;
      if (ks.excluded) continue;
      const v = (mop[2] ?? []) as readonly unknown[];
      const len = v.length;
      let isPrefix = true;
      if (len > 0) {
        const longest = ks.longest!;
        if (len > longest.length || !sameValue(v[len - 1], longest[len - 1])) isPrefix = false;
        else if (v !== longest) {
          for (let p = 0; p < len - 1; p++) {
            if (v[p] !== longest[p] && !sameValue(v[p], longest[p])) {
              isPrefix = false;
              break;
            }
          }
        }
        // wr: whoever appended the last element we saw.
        const s = ks.slots.get(normValue(v[len - 1]));
        const w = s === undefined ? -1 : ks.writer[s]!;
        if (w >= 0) {
          const wt = txnOf(w);
          emit(wt, id, 'wr');
          if (wt !== id && types[wt] !== TXN_FAIL && ks.intermediate?.has(s!)) {
            let gm = g1b.get(ks.id);
            if (!gm) g1b.set(ks.id, (gm = new Map()));
            let g = gm.get(s!);
            if (!g) gm.set(s!, (g = { raw: v[len - 1], writer: wt, readers: [], count: 0 }));
            g.count++;
            if (g.readers.length < MAX_EXAMPLES) g.readers.push(id);
          }
        }
      }
      if (isPrefix) {
        prefixRead[base + i] = 1;
        const nx = nextPos(ks, v);
        if (nx >= 0 && nx < ks.order.length) {
          const w = ks.writer[ks.order[nx]!]!;
          if (w >= 0) emit(id, txnOf(w), 'rw');
        } else if (nx === ks.order.length) for (const s of ks.unread) emit(id, txnOf(ks.writer[s]!), 'rw');
        if (len > 0) {
          failed[ks.id]?.prefixRead(len, id);
          garbage[ks.id]?.prefixRead(len, id);
          repeats[ks.id]?.prefixRead(len, id);
        }
        continue;
      }
      // Not a prefix: an incompatible order. Scan it for aborted, unknown and repeated elements directly.
      let inc = incompatible.get(ks.id);
      if (!inc) incompatible.set(ks.id, (inc = []));
      inc.push({ txn: id, mop: i });
      const seen = new Set<unknown>();
      let repeated: unknown;
      let hasRepeat = false;
      for (const x of v) {
        const e = normValue(x);
        if (seen.has(e)) {
          if (!hasRepeat) repeated = x;
          hasRepeat = true;
          continue;
        }
        seen.add(e);
        const s = readSlot(ks, x);
        const w = ks.writer[s]!;
        if (w < 0) addElem(elemGarbage, ks.id, s, x, -1, id);
        else if (types[txnOf(w)] === TXN_FAIL) addElem(elemFailed, ks.id, s, x, txnOf(w), id);
      }
      if (hasRepeat) {
        let d = repeatOther.get(ks.id);
        if (!d) repeatOther.set(ks.id, (d = { w: new Witnesses(), example: repeated }));
        d.w.add(id);
      }
    }
    if (m > 1 && repeatsKey(base, m)) perTxnChecks(t, id, base, m);
  }

  /** Whether some key occurs in two micro-ops of a txn: every per-txn check needs that. */
  function repeatsKey(base: number, m: number): boolean {
    for (let i = 1; i < m; i++) {
      const k = mopKey[base + i];
      for (let j = 0; j < i; j++) if (mopKey[base + j] === k) return true;
    }
    return false;
  }

  /** internal, future-read and lost-update for one ok txn. */
  function perTxnChecks(t: Txn, id: number, base: number, m: number): void {
    // Per key touched: the last read (base) and the appends since (extra); base null = only appends known.
    const stKeys: number[] = [];
    const stBase: (readonly unknown[] | null)[] = [];
    const stExtra: unknown[][] = [];
    const appended: number[] = [];
    const extRead: number[] = []; // keys read before any append of them, and where (extReadMop)
    const extReadMop: number[] = [];
    let internalDone = false;
    let futureDone = false;
    for (let i = 0; i < m; i++) {
      const k = mopKey[base + i]!;
      const ks = keys[k]!;
      if (ks.excluded) continue;
      const f = t.mops[i]![0];
      const val = t.mops[i]![2];
      let s = stKeys.indexOf(k);
      if (f === 'append') {
        if (s < 0) {
          stKeys.push(k);
          stBase.push(null);
          stExtra.push([val]);
        } else stExtra[s]!.push(val);
        // Lost update: the first append of a key this txn read externally, from a version we know exactly.
        const r = extRead.indexOf(k);
        if (r >= 0 && !appended.includes(k) && prefixRead[base + extReadMop[r]!]) {
          let km = lost.get(k);
          if (!km) lost.set(k, (km = new Map()));
          const version = ((t.mops[extReadMop[r]!]![2] ?? []) as readonly unknown[]).length;
          const list = km.get(version);
          if (list) list.push(id);
          else km.set(version, [id]);
        }
        appended.push(k);
        continue;
      }
      const v = (val ?? []) as readonly unknown[];
      if (!appended.includes(k) && !extRead.includes(k)) {
        extRead.push(k);
        extReadMop.push(i);
      }
      if (!internalDone && s >= 0) {
        const expected = internalMismatch(stBase[s] ?? null, stExtra[s]!, v);
        if (expected) {
          internalDone = true;
          report({
            type: 'internal',
            ops: [t.index],
            key: ks.key,
            mop: i,
            expected,
            explanation:
              `${txnRef(t)} read key ${show(ks.key)} = ${show(v)} at micro-op ${i}, but its own earlier micro-ops on that key imply ` +
              `${stBase[s] ? show(expected) : `a list ending in ${show(stExtra[s])}`}: a transaction must observe its own reads and appends.`,
          });
        }
      }
      if (!futureDone) {
        for (let j = i + 1; j < m; j++) {
          const mj = t.mops[j]!;
          if (mj[0] !== 'append' || mopKey[base + j] !== k) continue;
          if (readContains(ks, v, prefixRead[base + i] === 1, mj[2])) {
            futureDone = true;
            report({
              type: 'future-read',
              ops: [t.index],
              key: ks.key,
              mop: i,
              element: mj[2],
              explanation: `${txnRef(t)} read key ${show(ks.key)} = ${show(v)} at micro-op ${i}, which includes ${show(mj[2])}, an element it only appends later, at micro-op ${j}.`,
            });
            break;
          }
        }
      }
      if (s < 0) {
        stKeys.push(k);
        stBase.push(v);
        stExtra.push([]);
        s = stKeys.length - 1;
      } else {
        stBase[s] = v;
        stExtra[s] = [];
      }
    }
  }

  /** Whether a read holds element `x`: by position for prefix reads of repeat-free keys, else by scanning. */
  function readContains(ks: KeyState, v: readonly unknown[], isPrefix: boolean, x: unknown): boolean {
    if (isPrefix && !ks.hasDupes) {
      const s = ks.slots.get(normValue(x));
      const p = s === undefined ? -1 : ks.pos[s]!;
      return p >= 0 && p < v.length;
    }
    for (const y of v) if (sameValue(x, y)) return true;
    return false;
  }

  // ---- per-key anomalies and the garbage-read unknowns ------------------------------------------------------------
  /** Groups by element slot: those found through positions of the longest read, merged with those found by scanning. */
  const mergeGroups = (pg: PositionGroups | undefined, scanned: Map<number, ElemGroup> | undefined, ks: KeyState): ElemGroup[] => {
    const out = new Map<number, ElemGroup>();
    if (pg) {
      const counts = pg.counts();
      pg.groups.forEach((g, j) => {
        if (counts[j]! > 0) out.set(g.slot, { raw: g.raw, writer: ks.writer[g.slot]! >= 0 ? txnOf(ks.writer[g.slot]!) : -1, readers: [...g.readers], count: counts[j]! });
      });
    }
    for (const [s, g] of scanned ?? []) {
      const x = out.get(s);
      if (!x) {
        out.set(s, { ...g, readers: [...g.readers] });
        continue;
      }
      for (const r of g.readers) if (x.readers.length < MAX_EXAMPLES && !x.readers.includes(r)) x.readers.push(r);
      x.count += g.count;
    }
    const groups = [...out.values()];
    for (const g of groups) g.readers.sort((a, b) => a - b);
    return groups;
  };

  for (const ks of keys) {
    if (ks.excluded) continue;
    const k = ks.id;
    const inc = incompatible.get(k);
    if (inc) {
      const lt = txns[txnOf(ks.longestAt)]!;
      const listed = inc.slice(0, MAX_EXAMPLES);
      const shown = inc.slice(0, 3).map(({ txn, mop }) => `${txnRef(txns[txn]!)} read ${show(txns[txn]!.mops[mop]![2])}`);
      report({
        type: 'incompatible-order',
        ops: [lt.index, ...listed.map((r) => txns[r.txn]!.index)],
        key: ks.key,
        longest: { op: lt.index, mop: mopOf(ks.longestAt), value: ks.longest },
        reads: listed.map(({ txn, mop }) => ({ op: txns[txn]!.index, mop, value: txns[txn]!.mops[mop]![2] })),
        readCount: inc.length,
        explanation:
          `Key ${show(ks.key)}: reads disagree about the order of appends. The longest read, by ${txnRef(lt)}, is ${show(ks.longest)}, ` +
          `but ${shown.join('; ')}${inc.length > 3 ? ` (and ${inc.length - 3} more)` : ''}, which ${inc.length > 1 ? 'are not prefixes' : 'is not a prefix'} of it. ` +
          `Appends to one list must be seen in one order.`,
      });
    }
    // Repeated elements: prefix reads past the first repeat, plus incompatible reads that repeat something.
    const rg = repeats[k];
    const other = repeatOther.get(k);
    if ((rg && rg.counts()[0]! > 0) || other) {
      const readers: number[] = rg ? [...rg.groups[0]!.readers] : [];
      let count = rg ? rg.counts()[0]! : 0;
      const example = rg ? rg.groups[0]!.raw : other!.example;
      if (other) {
        for (const r of other.w.ids) if (readers.length < MAX_EXAMPLES && !readers.includes(r)) readers.push(r);
        count += other.w.count;
      }
      readers.sort((a, b) => a - b);
      const rs = readers.map((r) => txns[r]!);
      report({
        type: 'duplicate-elements',
        ops: rs.map((r) => r.index),
        key: ks.key,
        element: example,
        readCount: count,
        explanation: `Key ${show(ks.key)}: element ${show(example)} appears more than once in reads by ${txnList(rs, count)}, yet each element is appended only once.`,
      });
    }
    for (const g of mergeGroups(failed[k], elemFailed.get(k), ks)) {
      const wt = txns[g.writer]!;
      const rs = g.readers.map((r) => txns[r]!);
      report({
        type: 'G1a',
        ops: [wt.index, ...rs.map((r) => r.index)],
        key: ks.key,
        element: g.raw,
        writer: wt.index,
        readers: rs.map((r) => r.index),
        readCount: g.count,
        explanation: `Key ${show(ks.key)}: element ${show(g.raw)} was appended by ${txnRef(wt)}, which failed (aborted), yet committed ${txnList(rs, g.count)} read it (aborted read).`,
      });
    }
    for (const g of g1b.get(k)?.values() ?? []) {
      const wt = txns[g.writer]!;
      const rs = g.readers.map((r) => txns[r]!);
      report({
        type: 'G1b',
        ops: [wt.index, ...rs.map((r) => r.index)],
        key: ks.key,
        element: g.raw,
        writer: wt.index,
        readers: rs.map((r) => r.index),
        readCount: g.count,
        explanation:
          `Key ${show(ks.key)}: ${txnRef(wt)} appended ${show(g.raw)} and then appended to the key again in the same transaction, ` +
          `yet ${txnList(rs, g.count)} read a version ending in ${show(g.raw)}: an intermediate state of another transaction (intermediate read).`,
      });
    }
    for (const [version, ids] of lost.get(k) ?? []) {
      if (ids.length < 2) continue;
      const rs = ids.map((r) => txns[r]!);
      const value = (ks.longest ?? []).slice(0, version);
      report({
        type: 'lost-update',
        ops: rs.slice(0, MAX_EXAMPLES).map((r) => r.index),
        key: ks.key,
        value,
        txnCount: ids.length,
        explanation: `Key ${show(ks.key)}: ${txnList(rs)} all read the same version ${show(value)} and then appended to it, and all committed: in a serial order only one of them could have seen that version last (lost update).`,
      });
    }
    for (const g of mergeGroups(garbage[k], elemGarbage.get(k), ks)) {
      const rs = g.readers.map((r) => txns[r]!);
      unknowns.add(
        'garbage-read',
        rs[0]!.index,
        `Key ${show(ks.key)}: ${txnList(rs, g.count)} read element ${show(g.raw)}, which no transaction in the history appended ` +
          `(the store held data from before the test, a txn was left out as malformed, or the store invented it); its writer is unknown.`,
        { key: ks.key, element: g.raw, readers: rs.map((r) => r.index), readCount: g.count },
      );
    }
  }

  // ---- explanations, recomputed from the indexes ------------------------------------------------------------------
  function explainEdge(from: number, to: number, kind: DataEdgeKind): EdgeWhy | undefined {
    if (!Number.isInteger(from) || !Number.isInteger(to) || !edgeAllowed(from, to, types, skipped)) return undefined;
    if (kind === 'wr') {
      if (types[to] !== TXN_OK) return undefined;
      const b = txns[to]!;
      for (let j = 0; j < b.mops.length; j++) {
        const mop = b.mops[j]!;
        const ks = keys[mopKey[off[to]! + j]!];
        const v = (mop[2] ?? []) as readonly unknown[];
        if (mop[0] !== 'r' || !ks || ks.excluded || v.length === 0) continue;
        const s = ks.slots.get(normValue(v[v.length - 1]));
        const w = s === undefined ? -1 : ks.writer[s]!;
        if (w < 0 || txnOf(w) !== from) continue;
        const x = v[v.length - 1];
        return { kind, key: ks.key, value: x, aMop: mopOf(w), bMop: j, text: `%b observed %a's append of ${show(x)} to key ${show(ks.key)}` };
      }
      return undefined;
    }
    if (kind === 'ww') {
      const b = txns[to]!;
      for (let j = 0; j < b.mops.length; j++) {
        const mop = b.mops[j]!;
        const ks = keys[mopKey[off[to]! + j]!];
        if (mop[0] !== 'append' || !ks || ks.excluded) continue;
        const s = ks.slots.get(normValue(mop[2]))!;
        const p = ks.pos[s]!;
        let prev: number;
        if (p > 0) prev = ks.order[p - 1]!;
        else if (p < 0 && ks.order.length > 0) prev = ks.order[ks.order.length - 1]!;
        else continue;
        const w = ks.writer[prev]!;
        if (w < 0 || txnOf(w) !== from) continue;
        const a = rawOf(ks, prev);
        const text = `%b appended ${show(mop[2])} after %a appended ${show(a)} to key ${show(ks.key)}` + (p < 0 ? ` (no read observed ${show(mop[2])}, so it came after ${show(a)}, the last element observed)` : '');
        return { kind, key: ks.key, value: a, value2: mop[2], aMop: mopOf(w), bMop: j, text };
      }
      return undefined;
    }
    const a = txns[from]!;
    for (let i = 0; i < a.mops.length; i++) {
      const mop = a.mops[i]!;
      const ks = keys[mopKey[off[from]! + i]!];
      if (mop[0] !== 'r' || !ks || ks.excluded || !prefixRead[off[from]! + i]) continue;
      const v = (mop[2] ?? []) as readonly unknown[];
      const nx = nextPos(ks, v);
      const targets = nx < 0 ? [] : nx < ks.order.length ? [ks.order[nx]!] : ks.unread;
      for (const s of targets) {
        const w = ks.writer[s]!;
        if (w < 0 || txnOf(w) !== to) continue;
        const next = rawOf(ks, s);
        if (v.length === 0) {
          return { kind, key: ks.key, value2: next, aMop: i, bMop: mopOf(w), text: `%a observed the initial (empty) state of key ${show(ks.key)}, which %b's append of ${show(next)} ended` };
        }
        return { kind, key: ks.key, value: v[v.length - 1], value2: next, aMop: i, bMop: mopOf(w), text: `%a did not observe %b's append of ${show(next)} to key ${show(ks.key)}` };
      }
    }
    return undefined;
  }

  return finish(explainEdge);
}

/**
 * What a read should have been given the txn's own earlier micro-ops on the key (`base` = the last read, or null
 * when only appends are known; `extra` = the appends since), or undefined when the read agrees.
 */
function internalMismatch(base: readonly unknown[] | null, extra: readonly unknown[], v: readonly unknown[]): unknown[] | undefined {
  const sameValue = sameValueImported;
  if (base) {
    const ok = v.length === base.length + extra.length && base.every((x, i) => sameValue(x, v[i])) && extra.every((x, i) => sameValue(x, v[base.length + i]));
    return ok ? undefined : [...base, ...extra];
  }
  if (v.length >= extra.length && extra.every((x, i) => sameValue(x, v[v.length - extra.length + i]))) return undefined;
  return ['...', ...extra];
}
