/**
 * Cycle search (txn-anomalies.md §5): per strongly connected component, cheap "a cycle exists" proofs per model,
 * then a targeted breadth-first search per anomaly spec in severity order for a short concrete cycle, classified
 * by the edges it uses. Each component gets a time budget; when it runs out the component reports a
 * `cycle-search-timeout` plus whatever cycle a quick fallback search finds.
 *
 * A spec's search walks the product of the component's nodes and a tiny automaton over edge kinds (how many rw
 * edges so far, whether the last edge was rw, whether a wr was seen), starting from an edge of the kind the spec
 * requires (ww for G0, wr for G1c, rw for the G-single / G2 family, process or realtime for the variants), so
 * "exactly one rw" or "no two rw adjacent" are enforced while each search stays linear. A walk that revisits a
 * txn is split into simple cycles, each classified on its own. Everything lives in typed arrays indexed by
 * component-local node ids.
 */
import { ALL_KINDS, KIND_NAMES, kindNames, type Csr } from './graph.js';
import { impliedAnomalies, type CycleExistsCheck } from './models.js';
import { componentLabels, type ComponentLabels } from './scc.js';
import { EdgeKind, type EdgeKindName } from './types.js';

const WW = EdgeKind.ww;
const WR = EdgeKind.wr;
const RW = EdgeKind.rw;
const PROC = EdgeKind.process;
const RT = EdgeKind.realtime;

/** A dependency cycle: `kinds[i]` is the edge from `nodes[i]` to `nodes[i + 1]` (the last one back to `nodes[0]`). */
export interface Cycle {
  /** Txn ids (graph node numbers). */
  nodes: number[];
  kinds: EdgeKindName[];
}

/**
 * Name a cycle by its edges (§5): exactly one rw → G-single-item; two or more → G-nonadjacent-item when no two are
 * adjacent (cyclically), else G2-item; no rw but a wr → G1c; else G0. Suffix `-realtime` if a realtime edge is
 * used, else `-process` if a process edge is. (No predicate edges exist here, hence the `-item` names.)
 */
export function classifyCycle(kinds: readonly EdgeKindName[]): string {
  if (kinds.length < 2) throw new Error(`classifyCycle: a cycle needs at least two edges, got ${kinds.length}`);
  let rw = 0;
  let adjacent = false;
  let wr = false;
  let process = false;
  let realtime = false;
  for (let i = 0; i < kinds.length; i++) {
    const k = kinds[i]!;
    if (k === 'rw') {
      rw++;
      if (kinds[(i + 1) % kinds.length] === 'rw') adjacent = true;
    } else if (k === 'wr') wr = true;
    else if (k === 'process') process = true;
    else if (k === 'realtime') realtime = true;
    else if (k !== 'ww') throw new Error(`classifyCycle: unknown edge kind ${JSON.stringify(k)}`);
  }
  const base = rw === 1 ? 'G-single-item' : rw >= 2 ? (adjacent ? 'G2-item' : 'G-nonadjacent-item') : wr ? 'G1c' : 'G0';
  return realtime ? `${base}-realtime` : process ? `${base}-process` : base;
}

/** One targeted search: which edges a cycle may use and what it must contain. */
export interface CycleSpec {
  type: string;
  /** Edge kinds the cycle may use. */
  allowed: number;
  /** The kind of the edge each search starts from (one the cycle must contain). */
  start: number;
  minRw: number;
  maxRw: number;
  /** No two rw edges may be adjacent (cyclically). */
  nonadjacent: boolean;
  /** The cycle must contain a wr edge. */
  needWr: boolean;
  /** Shortest possible cycle of this spec: a search stops improving once it has one. */
  minLength: number;
}

const BASE_SPECS: readonly Omit<CycleSpec, 'start'>[] = [
  { type: 'G0', allowed: WW, minRw: 0, maxRw: 0, nonadjacent: false, needWr: false, minLength: 2 },
  { type: 'G1c', allowed: WW | WR, minRw: 0, maxRw: 0, nonadjacent: false, needWr: true, minLength: 2 },
  { type: 'G-single-item', allowed: WW | WR | RW, minRw: 1, maxRw: 1, nonadjacent: false, needWr: false, minLength: 2 },
  { type: 'G-nonadjacent-item', allowed: WW | WR | RW, minRw: 2, maxRw: Infinity, nonadjacent: true, needWr: false, minLength: 4 },
  { type: 'G2-item', allowed: WW | WR | RW, minRw: 2, maxRw: Infinity, nonadjacent: false, needWr: false, minLength: 2 },
];
const BASE_START: Record<string, number> = { G0: WW, G1c: WR };

/** Every targeted search in severity order: data-only specs, then their -process, then their -realtime variants. */
export const CYCLE_SPECS: readonly CycleSpec[] = [
  ...BASE_SPECS.map((s) => ({ ...s, start: BASE_START[s.type] ?? RW })),
  ...BASE_SPECS.map((s) => ({ ...s, type: `${s.type}-process`, allowed: s.allowed | PROC, start: PROC })),
  ...BASE_SPECS.map((s) => ({ ...s, type: `${s.type}-realtime`, allowed: s.allowed | PROC | RT, start: RT })),
];

/** A spec compiled to a product automaton: dense states, transitions per kind bit, accepting states. */
interface Automaton {
  states: number;
  s0: number;
  /** trans[s * 5 + kindBit] = next state or -1. */
  trans: Int8Array;
  accept: Uint8Array;
  /** Kinds that may appear after the start edge. */
  pathMask: number;
}

/** Raw state: bits 0-1 rw count (capped at 2), bit 2 last edge was rw, bit 3 a wr was seen. */
function rawStep(spec: CycleSpec, raw: number, bitIndex: number): number {
  const bit = 1 << bitIndex;
  if ((spec.allowed & bit) === 0) return -1;
  let rw = raw & 3;
  let prev = (raw >> 2) & 1;
  let wr = (raw >> 3) & 1;
  if (bit === RW) {
    if (spec.nonadjacent && prev) return -1;
    rw++;
    if (rw > spec.maxRw) return -1;
    if (rw > 2) rw = 2;
    prev = spec.nonadjacent ? 1 : 0;
  } else {
    prev = 0;
    if (bit === WR && spec.needWr) wr = 1;
  }
  return rw | (prev << 2) | (wr << 3);
}

function rawAccepts(spec: CycleSpec, raw: number): boolean {
  const rw = raw & 3;
  const prev = (raw >> 2) & 1;
  const wr = (raw >> 3) & 1;
  if (rw < spec.minRw) return false;
  if (spec.needWr && !wr) return false;
  // The cycle closes onto its start edge: with an rw start, the last edge must not be rw.
  if (spec.nonadjacent && spec.start === RW && prev) return false;
  return true;
}

const automata = new Map<CycleSpec, Automaton>();
function compile(spec: CycleSpec): Automaton {
  const cached = automata.get(spec);
  if (cached) return cached;
  const startIndex = KIND_NAMES.indexOf(kindNames(spec.start)[0]!);
  const raw0 = rawStep(spec, 0, startIndex);
  if (raw0 < 0) throw new Error(`cycle spec ${spec.type}: start kind not allowed`);
  const dense = new Map<number, number>([[raw0, 0]]);
  const order = [raw0];
  for (let i = 0; i < order.length; i++) {
    for (let b = 0; b < 5; b++) {
      const r = rawStep(spec, order[i]!, b);
      if (r >= 0 && !dense.has(r)) {
        dense.set(r, order.length);
        order.push(r);
      }
    }
  }
  const states = order.length;
  const trans = new Int8Array(states * 5).fill(-1);
  const accept = new Uint8Array(states);
  let pathMask = 0;
  for (let s = 0; s < states; s++) {
    accept[s] = rawAccepts(spec, order[s]!) ? 1 : 0;
    for (let b = 0; b < 5; b++) {
      const r = rawStep(spec, order[s]!, b);
      if (r >= 0) {
        trans[s * 5 + b] = dense.get(r)!;
        pathMask |= 1 << b;
      }
    }
  }
  const out = { states, s0: 0, trans, accept, pathMask };
  automata.set(spec, out);
  return out;
}

/** Split a closed walk that revisits nodes into simple cycles (each still a valid cycle of the graph). */
export function simpleCycles(walk: Cycle): Cycle[] {
  const out: Cycle[] = [];
  const pos = new Map<number, number>();
  const nodes: number[] = [];
  const kinds: EdgeKindName[] = [];
  for (let i = 0; i < walk.nodes.length; i++) {
    const v = walk.nodes[i]!;
    const j = pos.get(v);
    if (j !== undefined) {
      out.push({ nodes: nodes.slice(j), kinds: kinds.slice(j) });
      for (let t = j; t < nodes.length; t++) pos.delete(nodes[t]!);
      nodes.length = j;
      kinds.length = j;
    }
    pos.set(v, nodes.length);
    nodes.push(v);
    kinds.push(walk.kinds[i]!);
  }
  out.push({ nodes, kinds });
  return out;
}

/** A wall-clock deadline, checked sparingly. */
export interface Deadline {
  expired(): boolean;
}

function deadlineIn(ms: number, now: () => number, within?: Deadline): Deadline {
  const at = now() + ms;
  return { expired: () => now() >= at || (within !== undefined && within.expired()) };
}

const singleRwSpecs = new Map<number, CycleSpec>();
/** The search behind a `single-rw` cycle-exists proof: exactly one rw, anything else in the mask. */
function singleRwSpec(mask: number): CycleSpec {
  let spec = singleRwSpecs.get(mask);
  if (!spec) {
    const suffix = mask & RT ? '-realtime' : mask & PROC ? '-process' : '';
    spec = { type: `G-single-item${suffix}`, allowed: mask, start: RW, minRw: 1, maxRw: 1, nonadjacent: false, needWr: false, minLength: 2 };
    singleRwSpecs.set(mask, spec);
  }
  return spec;
}

/** A concrete cycle found in one SCC. */
export interface FoundCycle {
  type: string;
  cycle: Cycle;
  /** Position of the SCC in the list searched, and its size. */
  scc: number;
  sccSize: number;
  /** Found by the quick fallback search after the budget ran out. */
  fallback?: boolean;
}

/** The budget ran out while searching one SCC. */
export interface CycleSearchTimeout {
  scc: number;
  sccSize: number;
  /** The spec being searched when time ran out. */
  searched: string;
  /** Specs that would have been searched next. */
  notSearched: string[];
  /** Some member txn ids (at most 100), to name the component. */
  sample: number[];
}

/** A cheap proof that a model is violated inside one SCC. */
export interface CycleExistsHit {
  type: string;
  model: string;
  scc: number;
  sccSize: number;
  /** The edge kinds of the projection that has the cycle. */
  subgraph: EdgeKindName[];
  /** `any` cycle on those kinds, or one whose only rw edge closes a path of the others (`single-rw`). */
  shape: CycleExistsCheck['shape'];
  /** Txn ids of the projected component holding the cycle. */
  members: number[];
}

/** Options of one search over a graph's SCCs. */
export interface CycleSearchOptions {
  /** Anomaly types to search for (the forbidden ones); specs of other types are skipped. */
  searchTypes: ReadonlySet<string>;
  /** Cheap per-model proofs to attempt in each SCC, weakest model first. */
  cycleExists?: readonly CycleExistsCheck[];
  /** Budget per SCC in ms (default 1000). */
  budgetMs?: number;
  /** Edge kinds to use (default all). */
  mask?: number;
  /** Clock in ms (default performance.now), for tests. */
  now?: () => number;
}

/** Everything the search found, in SCC order. */
export interface CycleSearchResult {
  cycles: FoundCycle[];
  timeouts: CycleSearchTimeout[];
  cycleExists: CycleExistsHit[];
}

const DEFAULT_BUDGET_MS = 1000;
/** Start edges tried after the first hit, looking for a shorter cycle. */
const EXTRA_ATTEMPTS = 16;
/** BFS steps between clock reads. */
const CLOCK_EVERY = 1024;

class Timeout {}
const TIMEOUT = new Timeout();

/** One SCC as a local graph (ids 0..k-1) with the scratch space its searches share. */
class SccSearch {
  readonly local: Csr;
  private readonly labelCache = new Map<number, ComponentLabels>();
  private readonly nonadjacentCache = new Map<number, boolean>();
  /** OR of every local edge's kinds (-1 until computed). */
  private present = -1;
  private stamp = new Int32Array(0);
  private parent = new Int32Array(0);
  private pkind = new Uint8Array(0);
  private queue = new Int32Array(0);
  private epoch = 0;
  private steps = 0;

  constructor(
    g: Csr,
    readonly nodes: Int32Array,
    localOf: Int32Array,
    mask: number,
    public deadline: Deadline,
  ) {
    const k = nodes.length;
    for (let i = 0; i < k; i++) localOf[nodes[i]!] = i;
    const procNext = mask & PROC ? g.procNext : undefined;
    const rt = mask & RT ? g.realtime : undefined;
    // Two passes over each member's edges (count, then fill), session edges materialized as ordinary ones.
    const offsets = new Uint32Array(k + 1);
    let targets = new Uint32Array(0);
    let kinds = new Uint8Array(0);
    for (let pass = 0; pass < 2; pass++) {
      let m = 0;
      const put = (w: number, bits: number) => {
        if (pass === 1) {
          targets[m] = w;
          kinds[m] = bits;
        }
        m++;
      };
      for (let i = 0; i < k; i++) {
        offsets[i] = m;
        const v = nodes[i]!;
        for (let e = g.offsets[v]!, end = g.offsets[v + 1]!; e < end; e++) {
          const bits = g.kinds[e]! & mask;
          const w = localOf[g.targets[e]!]!;
          if (bits && w >= 0) put(w, bits);
        }
        if (procNext && procNext[v]! >= 0 && localOf[procNext[v]!]! >= 0) put(localOf[procNext[v]!]!, PROC);
        if (rt) {
          for (let u = rt.lo[v]!, end = rt.hi[v]!; u < end; u++) if (localOf[u]! >= 0) put(localOf[u]!, RT);
        }
      }
      offsets[k] = m;
      if (pass === 0) {
        targets = new Uint32Array(m);
        kinds = new Uint8Array(m);
      }
    }
    for (let i = 0; i < k; i++) localOf[nodes[i]!] = -1;
    this.local = { n: k, offsets, targets, kinds };
  }

  /** Component labels of the local graph projected onto `mask` (cached per mask). */
  labels(mask: number): ComponentLabels {
    let l = this.labelCache.get(mask);
    if (!l) this.labelCache.set(mask, (l = componentLabels(this.local, mask)));
    return l;
  }

  /**
   * Whether a closed walk with an rw edge and no two rw edges adjacent can exist on `mask` edges: the graph times
   * "was the last edge rw" must have an rw edge inside one of its components. A necessary condition that spares
   * the nonadjacent searches a hopeless per-edge BFS in big components made only of adjacent rw pairs.
   */
  nonadjacentPossible(mask: number): boolean {
    let ok = this.nonadjacentCache.get(mask);
    if (ok !== undefined) return ok;
    const { n, offsets, targets, kinds } = this.local;
    const pOffsets = new Uint32Array(2 * n + 1);
    let m = 0;
    for (let v = 0; v < n; v++) {
      for (let e = offsets[v]!, end = offsets[v + 1]!; e < end; e++) {
        const k = kinds[e]! & mask;
        if (k & RW) m++;
        if (k & ~RW) m += 2;
      }
    }
    const pTargets = new Uint32Array(m);
    const pKinds = new Uint8Array(m);
    m = 0;
    for (let v = 0; v < n; v++) {
      for (let p = 0; p < 2; p++) {
        pOffsets[2 * v + p] = m;
        for (let e = offsets[v]!, end = offsets[v + 1]!; e < end; e++) {
          const k = kinds[e]! & mask;
          const w = targets[e]!;
          if (k & RW && p === 0) {
            pTargets[m] = 2 * w + 1;
            pKinds[m++] = RW;
          }
          if (k & ~RW) {
            pTargets[m] = 2 * w;
            pKinds[m++] = WW;
          }
        }
      }
    }
    pOffsets[2 * n] = m;
    const product: Csr = { n: 2 * n, offsets: pOffsets, targets: pTargets, kinds: pKinds };
    const { comp } = componentLabels(product, RW | WW);
    ok = false;
    for (let x = 0; x < 2 * n && !ok; x++) {
      for (let e = pOffsets[x]!, end = pOffsets[x + 1]!; e < end; e++) {
        if (pKinds[e] === RW && comp[pTargets[e]!] === comp[x]) {
          ok = true;
          break;
        }
      }
    }
    this.nonadjacentCache.set(mask, ok);
    return ok;
  }

  /** Whether the local graph has an edge with one of these kinds at all. */
  hasKind(mask: number): boolean {
    if (this.present < 0) {
      let p = 0;
      for (const k of this.local.kinds) p |= k;
      this.present = p;
    }
    return (this.present & mask) !== 0;
  }

  toGlobal(c: Cycle): Cycle {
    return { nodes: c.nodes.map((v) => this.nodes[v]!), kinds: c.kinds };
  }

  /** Members (global ids) of local component `c` under `labels`. */
  members(labels: ComponentLabels, c: number): number[] {
    const out: number[] = [];
    for (let v = 0; v < labels.comp.length; v++) if (labels.comp[v] === c) out.push(this.nodes[v]!);
    return out;
  }

  /**
   * Look for cycles matching `spec`: simple cycles found on the way (local ids), shortest matching first.
   * Throws TIMEOUT when the deadline passes.
   */
  searchSpec(spec: CycleSpec, firstOnly = false): Cycle[] {
    const auto = compile(spec);
    const { offsets, targets, kinds, n } = this.local;
    const comps = this.labels(spec.allowed);
    const pathLabels = auto.pathMask !== spec.allowed ? this.labels(auto.pathMask) : undefined;
    this.ensureScratch(n * auto.states);
    let best: Cycle | undefined;
    const others: Cycle[] = [];
    let attemptsLeft = Infinity;
    let checkedClock = false;
    for (let a = 0; a < n && attemptsLeft > 0; a++) {
      const ca = comps.comp[a]!;
      if (comps.size[ca]! < 2) continue;
      for (let e = offsets[a]!, end = offsets[a + 1]!; e < end && attemptsLeft > 0; e++) {
        if ((kinds[e]! & spec.start) === 0) continue;
        const b = targets[e]!;
        if (comps.comp[b] !== ca) continue;
        if (pathLabels && pathLabels.comp[b]! < pathLabels.comp[a]!) continue; // b cannot reach a on path edges
        const maxPath = best ? best.nodes.length - 2 : Infinity;
        if (maxPath < 1) return [best!, ...others];
        if (!checkedClock) {
          // Only searches that get as far as a BFS spend budget: pruned specs finish even after expiry.
          checkedClock = true;
          if (this.deadline.expired()) throw TIMEOUT;
        }
        const walk = this.bfs(auto, spec.start, a, b, comps.comp, pathLabels?.comp, maxPath);
        if (best) attemptsLeft--;
        if (!walk) continue;
        for (const c of simpleCycles(walk)) {
          if (impliedAnomalies(classifyCycle(c.kinds)).has(spec.type)) {
            if (!best || c.nodes.length < best.nodes.length) best = c;
            if (attemptsLeft === Infinity) attemptsLeft = EXTRA_ATTEMPTS;
          } else {
            others.push(c);
          }
        }
        if (best && (firstOnly || best.nodes.length <= spec.minLength)) return [best, ...others];
      }
    }
    return best ? [best, ...others] : others;
  }

  private ensureScratch(size: number): void {
    if (this.stamp.length >= size) return;
    this.stamp = new Int32Array(size);
    this.parent = new Int32Array(size);
    this.pkind = new Uint8Array(size);
    this.queue = new Int32Array(size);
    this.epoch = 0;
  }

  /**
   * Shortest walk b ⇝ a in the product graph that the automaton accepts on arrival at a, of at most `maxPath`
   * edges, staying inside a's component (and never below a's component on path edges); returns the closed walk
   * starting with the edge a → b.
   */
  private bfs(auto: Automaton, startBit: number, a: number, b: number, comp: Int32Array, pathComp: Int32Array | undefined, maxPath: number): Cycle | undefined {
    const { offsets, targets, kinds } = this.local;
    const { states, trans, accept, pathMask } = auto;
    const { stamp, parent, pkind, queue, deadline } = this;
    const cur = ++this.epoch;
    const ca = comp[a]!;
    const pa = pathComp ? pathComp[a]! : 0;
    const root = b * states + auto.s0;
    stamp[root] = cur;
    parent[root] = -1;
    queue[0] = root;
    let head = 0;
    let tail = 1;
    let depth = 0;
    let levelEnd = 1;
    while (head < tail) {
      if (head === levelEnd) {
        depth++;
        levelEnd = tail;
      }
      if (depth >= maxPath) return undefined;
      if (++this.steps % CLOCK_EVERY === 0 && deadline.expired()) throw TIMEOUT;
      const x = queue[head++]!;
      const v = (x / states) | 0;
      const s = x - v * states;
      for (let e = offsets[v]!, end = offsets[v + 1]!; e < end; e++) {
        const bits = kinds[e]! & pathMask;
        if (bits === 0) continue;
        const w = targets[e]!;
        if (comp[w] !== ca) continue;
        if (pathComp && pathComp[w]! < pa) continue;
        for (let i = 0; i < 5; i++) {
          if ((bits & (1 << i)) === 0) continue;
          const s2 = trans[s * 5 + i]!;
          if (s2 < 0) continue;
          if (w === a) {
            if (accept[s2]) return this.reconstruct(x, i, a, startBit, states);
            continue;
          }
          const y = w * states + s2;
          if (stamp[y] === cur) continue;
          stamp[y] = cur;
          parent[y] = x;
          pkind[y] = i;
          queue[tail++] = y;
        }
      }
    }
    return undefined;
  }

  private reconstruct(last: number, lastKind: number, a: number, startBit: number, states: number): Cycle {
    const revNodes: number[] = [];
    const revKinds: number[] = [lastKind];
    for (let y = last; y !== -1; y = this.parent[y]!) {
      revNodes.push((y / states) | 0);
      if (this.parent[y] !== -1) revKinds.push(this.pkind[y]!);
    }
    const nodes = [a, ...revNodes.reverse()];
    const kinds = [kindNames(startBit)[0]!, ...revKinds.reverse().map((i) => KIND_NAMES[i]!)];
    return { nodes, kinds };
  }

  /** Shortest cycle through local node 0 on any edge, each step using its most severe kind (lowest bit). */
  fallback(): Cycle | undefined {
    const { offsets, targets, kinds, n } = this.local;
    const parent = new Int32Array(n).fill(-2);
    const via = new Uint8Array(n);
    const queue = new Int32Array(n);
    parent[0] = -1;
    let head = 0;
    let tail = 1;
    while (head < tail) {
      const v = queue[head++]!;
      for (let e = offsets[v]!, end = offsets[v + 1]!; e < end; e++) {
        const w = targets[e]!;
        const k = kinds[e]!;
        if (k === 0) continue;
        const bit = 31 - Math.clz32(k & -k);
        if (w === 0) {
          const nodes: number[] = [];
          const ks: number[] = [bit];
          for (let y = v; y !== -1; y = parent[y]!) {
            nodes.push(y);
            if (parent[y] !== -1) ks.push(via[y]!);
          }
          return { nodes: nodes.reverse(), kinds: ks.reverse().map((i) => KIND_NAMES[i]!) };
        }
        if (parent[w] !== -2) continue;
        parent[w] = v;
        via[w] = bit;
        queue[tail++] = w;
      }
    }
    return undefined;
  }
}

/**
 * Search every SCC (each a list of txn ids) for the cycles named in `opts.searchTypes`, most severe first, and
 * run the cheap cycle-exists proofs. Within an SCC, a type implied by one already found is not searched, a
 * cycle-exists proof is dropped when a concrete cycle (or a weaker model's proof) already rules its model out.
 */
export function searchCycles(g: Csr, sccs: readonly Int32Array[], opts: CycleSearchOptions): CycleSearchResult {
  const out: CycleSearchResult = { cycles: [], timeouts: [], cycleExists: [] };
  const localOf = new Int32Array(g.n).fill(-1);
  const now = opts.now ?? (() => performance.now());
  const budget = opts.budgetMs ?? DEFAULT_BUDGET_MS;
  if (!(budget >= 0)) throw new RangeError(`cycle search: expected a non-negative budget in ms, got ${String(budget)}`);
  const mask = opts.mask ?? ALL_KINDS;
  for (let i = 0; i < sccs.length; i++) {
    const nodes = sccs[i]!;
    if (nodes.length < 2) continue;
    const ctx = new SccSearch(g, nodes, localOf, mask, deadlineIn(budget, now));
    searchOne(ctx, i, opts, mask, budget, now, out);
  }
  return out;
}

function searchOne(ctx: SccSearch, scc: number, opts: CycleSearchOptions, mask: number, budgetMs: number, now: () => number, out: CycleSearchResult): void {
  const sccSize = ctx.nodes.length;
  const found: FoundCycle[] = [];
  const implied = new Set<string>();
  const record = (c: Cycle, fallback = false) => {
    const type = classifyCycle(c.kinds);
    if (!opts.searchTypes.has(type) || implied.has(type)) return;
    found.push({ type, cycle: ctx.toGlobal(c), scc, sccSize, ...(fallback ? { fallback } : {}) });
    for (const t of impliedAnomalies(type)) implied.add(t);
  };

  // 1. Cheap proofs, weakest model first. `any`: the projection has a non-trivial component. `single-rw`: an rw
  //    edge a -> b with b reaching a on the other kinds; same component is immediate, otherwise BFS, all such
  //    searches sharing a quarter of the budget (a cycle found is also recorded as a concrete anomaly). Out of
  //    time: no proof, no report; the targeted searches below report the timeout.
  const hits: CycleExistsHit[] = [];
  let proofDeadline: Deadline | undefined; // shared by all single-rw searches of this SCC
  for (const check of opts.cycleExists ?? []) {
    if (hits.some((h) => h.model !== check.model && check.weaker.has(h.model))) continue;
    if (found.some((f) => check.ruledOutBy.has(f.type))) continue;
    const m = check.mask & mask;
    let members: number[] | undefined;
    if (check.shape === 'any') {
      const l = ctx.labels(m);
      const c = l.size.findIndex((s) => s >= 2);
      if (c >= 0) members = ctx.members(l, c);
    } else if (ctx.hasKind(RW)) {
      const l = ctx.labels(m & ~RW);
      const { offsets, targets, kinds, n } = ctx.local;
      for (let a = 0; a < n && !members; a++) {
        for (let e = offsets[a]!, end = offsets[a + 1]!; e < end; e++) {
          if (kinds[e]! & RW && l.comp[targets[e]!] === l.comp[a]) {
            members = ctx.members(l, l.comp[a]!);
            break;
          }
        }
      }
      if (!members) {
        const full = ctx.deadline;
        ctx.deadline = proofDeadline ??= deadlineIn(budgetMs / 4, now, full);
        try {
          const c = ctx.searchSpec(singleRwSpec(m), true)[0];
          if (c && classifyCycle(c.kinds).startsWith('G-single-item')) {
            members = c.nodes.map((v) => ctx.nodes[v]!);
            record(c);
          }
        } catch (err) {
          if (err !== TIMEOUT) throw err;
        } finally {
          ctx.deadline = full;
        }
      }
    }
    if (members) hits.push({ type: check.type, model: check.model, scc, sccSize, subgraph: kindNames(m), shape: check.shape, members });
    if (ctx.deadline.expired()) break;
  }

  // 2. Targeted searches in severity order.
  const specs = CYCLE_SPECS.filter((s) => opts.searchTypes.has(s.type) && (s.allowed & mask & s.start) === s.start);
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    if (implied.has(spec.type)) continue;
    if (!ctx.hasKind(spec.start) || (spec.minRw > 0 && !ctx.hasKind(RW)) || (spec.needWr && !ctx.hasKind(WR))) continue;
    if (spec.nonadjacent && !ctx.nonadjacentPossible(spec.allowed & mask)) continue;
    try {
      for (const c of ctx.searchSpec(spec)) record(c);
    } catch (err) {
      if (err !== TIMEOUT) throw err;
      const notSearched = specs.slice(i + 1).filter((s) => !implied.has(s.type)).map((s) => s.type);
      out.timeouts.push({ scc, sccSize, searched: spec.type, notSearched, sample: Array.from(ctx.nodes.subarray(0, 100)) });
      const c = ctx.fallback();
      if (c) record(c, true);
      break;
    }
  }

  // 3. Keep only proofs no concrete cycle or weaker proof already covers.
  for (const h of hits) {
    const check = opts.cycleExists!.find((c) => c.type === h.type)!;
    if (found.some((f) => check.ruledOutBy.has(f.type))) continue;
    out.cycleExists.push(h);
  }
  out.cycles.push(...found);
}
