/**
 * Consistency models and anomaly types (txn-anomalies.md §6, §7): which anomalies each model forbids, how models
 * imply one another, how anomalies imply one another, and from those: the forbidden set for a check, the models a
 * set of anomalies rules out, the extra edges (process, realtime) a check needs, and the cheap "a cycle exists"
 * proofs per model.
 */
import { EdgeKind } from './types.js';

const { ww, wr, rw, process: proc, realtime: rt } = EdgeKind;
const DATA = ww | wr | rw;

/** How to prove cheaply that a model is violated inside one SCC (§5.2). */
export interface CycleShape {
  /** Edge kinds the cycle may use. */
  mask: number;
  /** `any`: any cycle in the projection; `single-rw`: `(other kinds)*` followed by exactly one rw edge. */
  shape: 'any' | 'single-rw';
}

interface ModelDef {
  name: string;
  aliases?: string[];
  /** Anomaly types the model forbids directly. */
  forbids?: string[];
  /** Weaker models: a history satisfying this model satisfies each of these. */
  implies?: string[];
  cycle?: CycleShape;
}

const MODEL_DEFS: readonly ModelDef[] = [
  { name: 'strict-serializable', aliases: ['PL-SS', 'strong-serializable'], forbids: ['G1', 'G1c-realtime', 'G2-realtime'],
    implies: ['serializable', 'linearizable', 'snapshot-isolation', 'strong-snapshot-isolation', 'strong-session-serializable'], cycle: { mask: DATA | proc | rt, shape: 'any' } },
  { name: 'strong-session-serializable', forbids: ['G1-process', 'G2-process'], implies: ['serializable', 'strong-session-snapshot-isolation'],
    cycle: { mask: DATA | proc, shape: 'any' } },
  { name: 'strong-snapshot-isolation', aliases: ['strong-SI'], forbids: ['internal', 'G1-realtime', 'G-nonadjacent-realtime'],
    implies: ['strong-session-snapshot-isolation', 'strong-read-committed'], cycle: { mask: DATA | proc | rt, shape: 'single-rw' } },
  { name: 'strong-session-snapshot-isolation', aliases: ['strong-session-SI'], forbids: ['internal', 'G1-process', 'G-nonadjacent-process'],
    implies: ['snapshot-isolation', 'strong-session-read-committed'], cycle: { mask: DATA | proc, shape: 'single-rw' } },
  { name: 'strong-read-committed', aliases: ['strong-RC'], forbids: ['G1c-realtime'], implies: ['strong-session-read-committed', 'strong-read-uncommitted'],
    cycle: { mask: ww | wr | proc | rt, shape: 'any' } },
  { name: 'strong-session-read-committed', aliases: ['strong-session-RC'], forbids: ['G1c-process'], implies: ['read-committed', 'strong-session-read-uncommitted'],
    cycle: { mask: ww | wr | proc, shape: 'any' } },
  { name: 'strong-read-uncommitted', aliases: ['strong-RU'], forbids: ['G0-realtime'], implies: ['strong-session-read-uncommitted'],
    cycle: { mask: ww | proc | rt, shape: 'any' } },
  { name: 'strong-session-read-uncommitted', aliases: ['strong-session-RU'], forbids: ['G0-process'], implies: ['read-uncommitted'],
    cycle: { mask: ww | proc, shape: 'any' } },
  { name: 'serializable', aliases: ['PL-3', 'conflict-serializable'], forbids: ['internal', 'G1', 'G2', 'predicate-read-miss'],
    implies: ['repeatable-read', 'update-serializable', 'snapshot-isolation', 'view-serializable'], cycle: { mask: DATA, shape: 'any' } },
  { name: 'view-serializable' },
  { name: 'update-serializable', aliases: ['PL-3U'], forbids: ['G1', 'G-update'], implies: ['forward-consistent-view'] },
  { name: 'snapshot-isolation', aliases: ['PL-SI', 'SI'], forbids: ['internal', 'G1', 'GSI', 'G-nonadjacent'],
    implies: ['forward-consistent-view', 'monotonic-atomic-view', 'monotonic-snapshot-read', 'parallel-snapshot-isolation', 'prefix'],
    cycle: { mask: DATA, shape: 'single-rw' } },
  { name: 'repeatable-read', aliases: ['PL-2.99'], forbids: ['G1', 'G2-item', 'lost-update'], implies: ['cursor-stability', 'monotonic-atomic-view'],
    cycle: { mask: DATA, shape: 'any' } },
  { name: 'forward-consistent-view', aliases: ['PL-FCV'], forbids: ['G1', 'GSIb'], implies: ['consistent-view'] },
  { name: 'consistent-view', aliases: ['PL-2+'], forbids: ['G1', 'G-single'], implies: ['cursor-stability', 'monotonic-view'] },
  { name: 'parallel-snapshot-isolation', aliases: ['parallel-SI'], forbids: ['internal', 'G1a'], implies: ['causal-cerone', 'update-atomic'] },
  { name: 'prefix', forbids: ['internal', 'G1a'], implies: ['causal-cerone'] },
  { name: 'causal-cerone', forbids: ['internal', 'G1a'], implies: ['read-atomic'] },
  { name: 'update-atomic', forbids: ['lost-update'], implies: ['read-atomic'] },
  { name: 'read-atomic', forbids: ['internal', 'G1a', 'future-read'], implies: ['monotonic-atomic-view'] },
  { name: 'monotonic-atomic-view', implies: ['read-committed'] },
  { name: 'cursor-stability', aliases: ['PL-CS'], forbids: ['G1', 'G-cursor', 'lost-update'], implies: ['read-committed'] },
  { name: 'monotonic-view', aliases: ['PL-2L'], forbids: ['G1', 'G-monotonic'], implies: ['read-committed'] },
  { name: 'monotonic-snapshot-read', aliases: ['PL-MSR'], forbids: ['G1', 'G-MSR'], implies: ['read-committed'] },
  { name: 'read-committed', aliases: ['PL-2'], forbids: ['G1'], implies: ['read-uncommitted'], cycle: { mask: ww | wr, shape: 'any' } },
  { name: 'read-uncommitted', aliases: ['PL-1'], forbids: ['G0', 'duplicate-elements', 'cyclic-versions'], cycle: { mask: ww, shape: 'any' } },
  // Single-object models: part of the hierarchy (strict-serializable implies linearizable), forbid no txn anomaly.
  { name: 'linearizable', implies: ['sequential'] },
  { name: 'sequential', implies: ['causal'] },
  { name: 'causal', implies: ['writes-follow-reads', 'PRAM'] },
  { name: 'writes-follow-reads' },
  { name: 'PRAM', implies: ['monotonic-reads', 'monotonic-writes', 'read-your-writes'] },
  { name: 'monotonic-reads' },
  { name: 'monotonic-writes' },
  { name: 'read-your-writes' },
];

const MODELS = new Map(MODEL_DEFS.map((m) => [m.name, m]));
const MODEL_LOOKUP = new Map<string, string>();
for (const m of MODEL_DEFS) for (const n of [m.name, ...(m.aliases ?? [])]) MODEL_LOOKUP.set(n.toLowerCase(), m.name);

/** Canonical model names, strongest first (the table order). */
export function consistencyModelNames(): string[] {
  return MODEL_DEFS.map((m) => m.name);
}

/** Every accepted model name: canonical names and their aliases. */
export function consistencyModelAliases(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of MODEL_DEFS) for (const a of m.aliases ?? []) out[a] = m.name;
  return out;
}

/** The canonical name of a model or alias (case-insensitive); throws an Error listing the valid names. */
export function canonicalModel(name: string): string {
  const found = typeof name === 'string' ? MODEL_LOOKUP.get(name.toLowerCase()) : undefined;
  if (found === undefined) {
    const aliases = Object.entries(consistencyModelAliases()).map(([a, c]) => `${a} (= ${c})`);
    throw new Error(`unknown consistency model ${JSON.stringify(name)}: expected one of ${consistencyModelNames().join(', ')}; aliases: ${aliases.join(', ')}`);
  }
  return found;
}

const weakerCache = new Map<string, ReadonlySet<string>>();
/** The model itself and every model it implies, transitively (a canonical name). */
export function weakerModels(model: string): ReadonlySet<string> {
  const name = canonicalModel(model);
  let out = weakerCache.get(name);
  if (!out) {
    const seen = new Set<string>();
    const todo = [name];
    while (todo.length) {
      const m = todo.pop()!;
      if (seen.has(m)) continue;
      seen.add(m);
      todo.push(...(MODELS.get(m)!.implies ?? []));
    }
    weakerCache.set(name, (out = seen));
  }
  return out;
}

// ---- anomaly types -------------------------------------------------------------------------------------------

/** Anomaly types that have `-process` and `-realtime` variants (cycles that also use session or real-time order). */
const VARIANT_BASES = ['G0', 'G1', 'G1c', 'G-single', 'G-single-item', 'G-nonadjacent', 'G-nonadjacent-item', 'G2', 'G2-item'];

/** Direct implications between base anomalies: if the key is present, so is each listed type (§6). */
const BASE_IMPLIES: Record<string, string[]> = {
  G0: ['G1c'],
  G1a: ['G1'],
  G1b: ['G1'],
  G1c: ['G1'],
  'G-single-item': ['G-single', 'G-nonadjacent-item'],
  'G-single': ['G-nonadjacent', 'GSIb'],
  'G-nonadjacent-item': ['G-nonadjacent', 'G2-item'],
  'G-nonadjacent': ['G2'],
  'G2-item': ['G2'],
  'lost-update': ['write-skew', 'G2-item'],
  'write-skew': ['G2'],
  'incompatible-order': ['G1a'],
  'dirty-update': ['G1a'],
  'future-read': ['G1c'],
  GSIa: ['GSI'],
  GSIb: ['GSI'],
};

/** Types found by linear scans or otherwise outside the cycle lattice, forbidden by some model. */
const OTHER_TYPES = [
  'G1a', 'G1b', 'GSI', 'GSIa', 'GSIb', 'G-cursor', 'G-monotonic', 'G-MSR', 'G-update', 'internal', 'future-read', 'dirty-update',
  'duplicate-elements', 'incompatible-order', 'cyclic-versions', 'lost-update', 'write-skew', 'predicate-read-miss',
];

/** Types that make a verdict unknown rather than false: the checker could not decide. */
export const UNKNOWN_ANOMALY_TYPES: readonly string[] = ['empty-transaction-graph', 'cycle-search-timeout'];

const IMPLIES = new Map<string, string[]>();
for (const [a, bs] of Object.entries(BASE_IMPLIES)) IMPLIES.set(a, [...bs]);
for (const x of VARIANT_BASES) {
  const add = (a: string, b: string) => IMPLIES.set(a, [...(IMPLIES.get(a) ?? []), b]);
  add(x, `${x}-process`);
  add(`${x}-process`, `${x}-realtime`);
  for (const y of BASE_IMPLIES[x] ?? []) {
    if (!VARIANT_BASES.includes(y)) continue;
    add(`${x}-process`, `${y}-process`);
    add(`${x}-realtime`, `${y}-realtime`);
  }
}

const cycleExistsType = (model: string) => `${model}-cycle-exists`;
const CYCLE_EXISTS_TYPES = MODEL_DEFS.filter((m) => m.cycle).map((m) => cycleExistsType(m.name));

/** Every anomaly type the checker knows (reports, forbids or can be asked to forbid), sorted. */
export const KNOWN_ANOMALY_TYPES: readonly string[] = [
  ...new Set([...VARIANT_BASES.flatMap((x) => [x, `${x}-process`, `${x}-realtime`]), ...OTHER_TYPES, ...CYCLE_EXISTS_TYPES, ...UNKNOWN_ANOMALY_TYPES]),
].sort();
const KNOWN = new Set(KNOWN_ANOMALY_TYPES);
const ANOMALY_LOOKUP = new Map(KNOWN_ANOMALY_TYPES.map((t) => [t.toLowerCase(), t]));
// Spellings used in the literature for the same types.
for (const [alias, t] of [['G-SI', 'GSI'], ['G-SIa', 'GSIa'], ['G-SIb', 'GSIb']] as const) ANOMALY_LOOKUP.set(alias.toLowerCase(), t);

/**
 * The canonical spelling of an anomaly type named by a user (case-insensitive; `PL-2-cycle-exists` style names
 * accepted for model aliases); throws an Error listing the known types.
 */
export function canonicalAnomaly(name: string): string {
  if (typeof name === 'string') {
    const hit = ANOMALY_LOOKUP.get(name.toLowerCase());
    if (hit !== undefined) return hit;
    const m = /^(.*)-cycle-exists$/i.exec(name);
    const model = m ? MODEL_LOOKUP.get(m[1]!.toLowerCase()) : undefined;
    if (model !== undefined && MODELS.get(model)!.cycle) return cycleExistsType(model);
  }
  throw new Error(`unknown anomaly type ${JSON.stringify(name)}: expected one of ${KNOWN_ANOMALY_TYPES.join(', ')}`);
}

const impliedCache = new Map<string, ReadonlySet<string>>();
/** The type itself and every type its presence implies, transitively (unknown types imply only themselves). */
export function impliedAnomalies(type: string): ReadonlySet<string> {
  let out = impliedCache.get(type);
  if (!out) {
    const seen = new Set<string>();
    const todo = [type];
    while (todo.length) {
      const t = todo.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      todo.push(...(IMPLIES.get(t) ?? []));
    }
    impliedCache.set(type, (out = seen));
  }
  return out;
}

/** Add to `set` every known type whose presence implies one already in it. */
function closeUnderImplication(set: Set<string>): Set<string> {
  for (const t of KNOWN) {
    if (set.has(t)) continue;
    for (const u of impliedAnomalies(t)) {
      if (set.has(u)) {
        set.add(t);
        break;
      }
    }
  }
  return set;
}

const forbiddenCache = new Map<string, ReadonlySet<string>>();
/** Everything one model forbids: its own list, its weaker models' lists, their cycle-exists types, and what implies them. */
function forbiddenByModel(model: string): ReadonlySet<string> {
  const name = canonicalModel(model);
  let out = forbiddenCache.get(name);
  if (!out) {
    const set = new Set<string>();
    for (const m of weakerModels(name)) {
      const def = MODELS.get(m)!;
      for (const t of def.forbids ?? []) set.add(t);
      if (def.cycle) set.add(cycleExistsType(m));
    }
    forbiddenCache.set(name, (out = closeUnderImplication(set)));
  }
  return out;
}

/**
 * The anomaly types a check must treat as violations: everything the models forbid (see forbiddenByModel) plus
 * the explicit `extraAnomalies` and every type implying one of them. Throws on unknown model or anomaly names.
 */
export function forbiddenAnomalies(models: readonly string[], extraAnomalies: readonly string[] = []): Set<string> {
  const out = new Set<string>();
  for (const m of models) for (const t of forbiddenByModel(m)) out.add(t);
  const extra = new Set(extraAnomalies.map(canonicalAnomaly));
  for (const t of closeUnderImplication(extra)) out.add(t);
  return out;
}

/**
 * The models a set of anomaly types rules out: `not` the weakest (no other violated model is weaker), `alsoNot`
 * the stronger ones that fall with them. Both sorted; types no model forbids (e.g. unknowns) rule out nothing.
 */
export function violatedModels(anomalyTypes: Iterable<string>): { not: string[]; alsoNot: string[] } {
  const types = [...new Set(anomalyTypes)];
  const violated = MODEL_DEFS.map((m) => m.name).filter((m) => {
    const f = forbiddenByModel(m);
    return types.some((t) => f.has(t));
  });
  const v = new Set(violated);
  const not: string[] = [];
  const alsoNot: string[] = [];
  for (const m of violated) {
    const weakerViolated = [...weakerModels(m)].some((w) => w !== m && v.has(w));
    (weakerViolated ? alsoNot : not).push(m);
  }
  return { not: not.sort(), alsoNot: alsoNot.sort() };
}

/** Which session orders a check must build: process edges if any `-process` type is forbidden, realtime likewise. */
export function requiredSessionEdges(forbidden: ReadonlySet<string>): { process: boolean; realtime: boolean } {
  let process = false;
  let realtime = false;
  for (const t of forbidden) {
    if (t.endsWith('-process')) process = true;
    if (t.endsWith('-realtime')) realtime = true;
  }
  return { process: process || realtime, realtime };
}

/** One cheap proof to attempt per SCC: a cycle of the model's shape rules the model out. */
export interface CycleExistsCheck extends CycleShape {
  /** The anomaly type reported on a hit, e.g. `read-committed-cycle-exists`. */
  type: string;
  model: string;
  /** The models this model implies (a hit for a weaker one makes this one redundant). */
  weaker: ReadonlySet<string>;
  /** Anomaly types that rule the model out: a concrete cycle of one of these makes the hit redundant. */
  ruledOutBy: ReadonlySet<string>;
}

/**
 * The cycle-exists checks for the requested models and every model they imply that has a cycle shape, weakest
 * first (so a hit on a weaker model can stand in for stronger ones).
 */
export function cycleExistsChecks(models: readonly string[]): CycleExistsCheck[] {
  const all = new Set<string>();
  for (const m of models) for (const w of weakerModels(m)) all.add(w);
  const out: CycleExistsCheck[] = [];
  for (const name of [...MODEL_DEFS].reverse().map((m) => m.name)) {
    const def = MODELS.get(name)!;
    if (!all.has(name) || !def.cycle) continue;
    out.push({ ...def.cycle, type: cycleExistsType(name), model: name, weaker: weakerModels(name), ruledOutBy: forbiddenByModel(name) });
  }
  return out;
}
