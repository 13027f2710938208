/**
 * The report's data as compact columns: ops paired per process (invocation -> completion), lanes, fault windows,
 * latency samples and per-bucket quantiles/throughput. Embedded as one JSON blob; the browser script draws from it
 * without creating a DOM node per op.
 */
import type { Op } from '../../checkers/history/types.js';

/** A paired op (bar on the timeline). Times are microseconds since run start (or history positions when untimed). */
export interface Bar {
  lane: number;
  start: number;
  /** -1 when the op never completed (drawn to the end of the run). */
  end: number;
  /** 0 ok, 1 fail, 2 info (also: never completed), 3 completion without an invocation. */
  type: number;
  f: string;
  invoke?: Op;
  complete?: Op;
}

export interface FaultWindow {
  label: string;
  start: number;
  end: number;
  targets: string;
  /** History indices of the records that delimit the window. */
  ops: number[];
  error?: string;
}

/** The JSON the page embeds (columnar; arrays of the same length describe one bar each). */
export interface EmbeddedData {
  lanes: string[];
  opCount: number;
  /** 'us': times are microseconds since start; 'index': the history has no times, positions stand in. */
  unit: 'us' | 'index';
  tEnd: number;
  fs: string[];
  bars: {
    lane: number[];
    /** Start, delta-encoded against the previous bar (bars are in invocation order). */
    dStart: number[];
    /** Duration, or -1 for never completed. */
    dur: number[];
    type: number[];
    f: number[];
    /** History index of the invocation (or of the lone completion), delta-encoded. */
    dIdx: number[];
    /** Completion index minus invocation index; 0 when there is no completion. */
    cOff: number[];
    /** The invocation's other fields as JSON (key, value, node, ...). */
    inv: string[];
    /** The completion's fields that differ from the invocation's, as JSON ('' when none). */
    cmp: string[];
  };
  faults: FaultWindow[];
  /** Latency scatter (client ops that completed), sampled to at most LATENCY_SAMPLES points. */
  latency: { t: number[]; ms: number[]; f: number[]; type: number[]; sampled: boolean; total: number };
  /** Per time bucket (width µs): quantiles of ok latencies (ms, null when empty) and completions per second. */
  buckets: { width: number; t: number[]; p50: (number | null)[]; p95: (number | null)[]; p99: (number | null)[]; ok: number[]; fail: number[]; info: number[] };
}

export const LATENCY_SAMPLES = 20_000;
const MAX_FIELD_JSON = 2000;
const SKIP_FIELDS = new Set(['index', 'time', 'process', 'type', 'f']);

/** Lane name of a process, or undefined for the nemesis (drawn as shaded windows, not a lane). */
function laneName(p: unknown): string | undefined {
  if (typeof p === 'number') return String(p);
  const s = String(p);
  return s === 'nemesis' || s.startsWith('nemesis') ? undefined : s;
}

/** Client processes numerically, then `resource`, then any other named processes alphabetically. */
export function orderLanes(names: Iterable<string>): string[] {
  const all = [...new Set(names)];
  const numeric = all.filter((n) => /^-?\d+(\.\d+)?$/.test(n)).sort((a, b) => Number(a) - Number(b));
  const rest = all.filter((n) => !/^-?\d+(\.\d+)?$/.test(n));
  const named = rest.filter((n) => n !== 'resource').sort();
  return [...numeric, ...(rest.includes('resource') ? ['resource'] : []), ...named];
}

export interface Paired {
  lanes: string[];
  bars: Bar[];
  faults: FaultWindow[];
  unit: 'us' | 'index';
  tEnd: number;
  /** History index -> bar number, for both the invocation and the completion. */
  barOfIndex: Map<number, number>;
  /** History index -> op. */
  opOfIndex: Map<number, Op>;
}

/** Pair invocations with completions per process and collect nemesis windows. */
export function pairOps(ops: readonly Op[]): Paired {
  const timed = ops.length > 0 && ops.every((o) => typeof o.time === 'number' && Number.isFinite(o.time));
  const unit: 'us' | 'index' = timed ? 'us' : 'index';
  const tOf = (op: Op, pos: number): number => (timed ? Math.round((op.time as number) / 1000) : pos);
  let tEnd = 0;
  ops.forEach((op, pos) => {
    tEnd = Math.max(tEnd, tOf(op, pos));
  });

  const laneNames = new Set<string>();
  for (const op of ops) {
    const l = laneName(op.process);
    if (l !== undefined) laneNames.add(l);
  }
  const lanes = orderLanes(laneNames);
  const laneIdx = new Map(lanes.map((l, i) => [l, i]));

  const bars: Bar[] = [];
  const barOfIndex = new Map<number, number>();
  const opOfIndex = new Map<number, Op>();
  const open = new Map<string, number>();
  const faults: FaultWindow[] = [];
  const openFaults = new Map<string, FaultWindow>();

  ops.forEach((op, pos) => {
    opOfIndex.set(op.index, op);
    const t = tOf(op, pos);
    const lane = laneName(op.process);
    if (lane === undefined) {
      nemesisRecord(op, t, faults, openFaults);
      return;
    }
    const l = laneIdx.get(lane)!;
    if (op.type === 'invoke') {
      const prev = open.get(lane);
      if (prev !== undefined) bars[prev]!.end = -1; // a new invocation: the previous one never completed
      open.set(lane, bars.length);
      barOfIndex.set(op.index, bars.length);
      bars.push({ lane: l, start: t, end: -1, type: 2, f: op.f, invoke: op });
    } else {
      const b = open.get(lane);
      if (b !== undefined) {
        open.delete(lane);
        const bar = bars[b]!;
        bar.end = t;
        bar.type = op.type === 'ok' ? 0 : op.type === 'fail' ? 1 : 2;
        bar.complete = op;
        barOfIndex.set(op.index, b);
      } else {
        barOfIndex.set(op.index, bars.length);
        bars.push({ lane: l, start: t, end: t, type: op.type === 'ok' ? 0 : op.type === 'fail' ? 1 : 3, f: op.f, complete: op });
      }
    }
  });
  for (const w of openFaults.values()) w.end = tEnd;
  faults.sort((a, b) => a.start - b.start);
  return { lanes, bars, faults, unit, tEnd, barOfIndex, opOfIndex };
}

function nemesisRecord(op: Op, t: number, faults: FaultWindow[], open: Map<string, FaultWindow>): void {
  const f = op.f;
  const value = op.value as { targets?: unknown } | null | undefined;
  const targets = Array.isArray(value?.targets) ? value.targets.map(String).join(', ') : '';
  if (f.startsWith('start-')) {
    const label = f.slice('start-'.length);
    let w = open.get(label);
    if (!w) {
      w = { label, start: t, end: t, targets, ops: [] };
      open.set(label, w);
      faults.push(w);
    }
    w.ops.push(op.index);
    if (targets) w.targets = targets;
    if (op.error !== undefined) w.error = String(op.error);
  } else if (f.startsWith('stop-')) {
    const label = f.slice('stop-'.length);
    const w = open.get(label);
    if (w) {
      w.ops.push(op.index);
      w.end = t;
      if (op.type !== 'invoke') open.delete(label);
    }
  } else {
    // heal and anything else: a window from invocation to completion.
    const key = `\u0000${f}`;
    const w = open.get(key);
    if (op.type === 'invoke' || !w) {
      if (w) open.delete(key);
      const nw: FaultWindow = { label: f, start: t, end: t, targets, ops: [op.index] };
      faults.push(nw);
      if (op.type === 'invoke') open.set(key, nw);
    } else {
      w.end = t;
      w.ops.push(op.index);
      open.delete(key);
    }
  }
}

/** The op's fields other than index/time/process/type/f as JSON; with `base`, only those that differ from it. */
function fieldsJson(op: Op | undefined, base?: Op): string {
  if (!op) return '';
  const o: Record<string, unknown> = {};
  let any = false;
  for (const k of Object.keys(op)) {
    if (SKIP_FIELDS.has(k) || op[k] === undefined) continue;
    if (base && k in base && sameJson(op[k], base[k])) continue;
    o[k] = op[k];
    any = true;
  }
  if (base && !any) return '';
  let s: string;
  try {
    s = JSON.stringify(o);
  } catch {
    s = '{"unprintable":true}';
  }
  return s.length > MAX_FIELD_JSON ? `${s.slice(0, MAX_FIELD_JSON)}… (${s.length} chars)` : s;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

function niceWidth(raw: number): number {
  if (raw <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return round3(sorted[i]!);
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Builds the embedded columns from paired ops. */
export function embed(p: Paired, opCount: number): EmbeddedData {
  const fs: string[] = [];
  const fIdx = new Map<string, number>();
  const fOf = (f: string) => {
    let i = fIdx.get(f);
    if (i === undefined) fIdx.set(f, (i = fs.push(f) - 1));
    return i;
  };
  const n = p.bars.length;
  const bars: EmbeddedData['bars'] = { lane: new Array(n), dStart: new Array(n), dur: new Array(n), type: new Array(n), f: new Array(n), dIdx: new Array(n), cOff: new Array(n), inv: new Array(n), cmp: new Array(n) };
  let prevStart = 0;
  let prevIdx = 0;
  for (let i = 0; i < n; i++) {
    const b = p.bars[i]!;
    bars.lane[i] = b.lane;
    bars.dStart[i] = b.start - prevStart;
    prevStart = b.start;
    bars.dur[i] = b.end < 0 ? -1 : b.end - b.start;
    bars.type[i] = b.type;
    bars.f[i] = fOf(b.f);
    const idx = (b.invoke ?? b.complete)!.index;
    bars.dIdx[i] = idx - prevIdx;
    prevIdx = idx;
    bars.cOff[i] = b.invoke && b.complete ? b.complete.index - b.invoke.index : 0;
    bars.inv[i] = fieldsJson(b.invoke ?? b.complete);
    bars.cmp[i] = b.invoke && b.complete ? fieldsJson(b.complete, b.invoke) : '';
  }

  // Latency and throughput: client ops (numeric process) with both records; only meaningful with real times.
  const lat = { t: [] as number[], ms: [] as number[], f: [] as number[], type: [] as number[], sampled: false, total: 0 };
  const width = p.unit === 'us' ? niceWidth(Math.max(1, p.tEnd) / 150) : niceWidth(Math.max(1, p.tEnd) / 150);
  const nb = Math.max(1, Math.floor(p.tEnd / width) + 1);
  const perBucket: number[][] = Array.from({ length: nb }, () => []);
  const ok = new Array<number>(nb).fill(0);
  const fail = new Array<number>(nb).fill(0);
  const info = new Array<number>(nb).fill(0);
  const completed: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = p.bars[i]!;
    if (!b.invoke || !b.complete || typeof b.invoke.process !== 'number') continue;
    completed.push(i);
    const bi = Math.min(nb - 1, Math.floor(b.end / width));
    if (b.type === 0) ok[bi]!++;
    else if (b.type === 1) fail[bi]!++;
    else info[bi]!++;
    if (p.unit === 'us' && b.type === 0) perBucket[bi]!.push((b.end - b.start) / 1000);
  }
  if (p.unit === 'us') {
    lat.total = completed.length;
    const stride = Math.max(1, Math.ceil(completed.length / LATENCY_SAMPLES));
    lat.sampled = stride > 1;
    for (let k = 0; k < completed.length; k += stride) {
      const b = p.bars[completed[k]!]!;
      lat.t.push(b.end);
      lat.ms.push(round3((b.end - b.start) / 1000));
      lat.f.push(fOf(b.f));
      lat.type.push(b.type);
    }
  }
  const perSec = p.unit === 'us' ? 1e6 / width : 1;
  const buckets: EmbeddedData['buckets'] = { width, t: [], p50: [], p95: [], p99: [], ok: [], fail: [], info: [] };
  for (let i = 0; i < nb; i++) {
    const s = perBucket[i]!.sort((a, b) => a - b);
    buckets.t.push(i * width);
    buckets.p50.push(quantile(s, 0.5));
    buckets.p95.push(quantile(s, 0.95));
    buckets.p99.push(quantile(s, 0.99));
    buckets.ok.push(round3(ok[i]! * perSec));
    buckets.fail.push(round3(fail[i]! * perSec));
    buckets.info.push(round3(info[i]! * perSec));
  }
  return { lanes: p.lanes, opCount, unit: p.unit, tEnd: p.tEnd, fs, bars, faults: p.faults, latency: lat, buckets };
}

/** JSON safe inside a `<script>` element: no `</script>`, no `<!--`, no U+2028/2029 surprises. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
