/**
 * The list-append workload (txn-anomalies.md §2): transactions of appends to per-key lists and reads of whole lists,
 * the workload Elle infers the most from. This module also holds the generator core shared with rw-register (same
 * shape, `w` instead of `append`) and the option checks shared by the transactional workloads.
 *
 * Keys and retirement. Elle keeps `keyCount` live keys in one shared generator and replaces a key by a fresh one once
 * it has taken `maxWritesPerKey` writes. Our generators are per worker and share no state, so we emulate it:
 * - the live keys are `keyCount` slots; slot `s` in generation `g` is key `g * keyCount + s`, the same numbering in
 *   every worker, so workers in the same generation contend on the same keys;
 * - a worker moves a slot to its next generation once it has itself written `maxWritesPerKey` times to that slot's
 *   current key. Workers run at similar rates and draw from the same distribution, so they retire a slot at about
 *   the same time; a worker that drifts ahead simply writes to the next key a little early.
 * The approximation: `maxWritesPerKey` bounds one worker's writes to a key, so with W workers a key holds at most
 * W x maxWritesPerKey elements (Elle bounds the total). Pass `ceil(256 / clients)` for Elle's total bound.
 *
 * Values are `worker * VALUE_STRIDE + counter` (the register workload's scheme): unique across the whole run without
 * coordination, so every element names exactly one append.
 */
import type { Rng } from '../../harness/seed.js';
import { VALUE_STRIDE } from '../register/generator.js';
import type { OpGenerator, OpRequest, Workload } from '../types.js';

/** Re-exported: the value scheme (`worker * VALUE_STRIDE + counter`) every faultline generator shares. */
export { VALUE_STRIDE };

/** A bad workload option, named with the valid choices so a scenario author can fix it without reading the source. */
export class WorkloadOptionsError extends Error {
  override readonly name = 'WorkloadOptionsError';
}

/** How micro-ops pick among the live keys: `exponential` (base 2: slot i has weight 2^-i) or `uniform`. */
export type KeyDist = 'exponential' | 'uniform';
/** The valid `keyDist` values, for option errors. */
export const KEY_DISTS: readonly KeyDist[] = ['exponential', 'uniform'];

/** Knobs of the list-append and rw-register generators (names and defaults follow Elle's `wr-txns`). */
export interface TxnGenOptions {
  /** Live keys at any time (default 10; 3 when `keyDist` is `uniform`, as in Elle). */
  keyCount: number;
  keyDist: KeyDist;
  /** Micro-ops per transaction, drawn uniformly from [minTxnLength, maxTxnLength]. */
  minTxnLength: number;
  maxTxnLength: number;
  /** Writes one worker makes to a key before it retires it for a fresh one (see the module comment). */
  maxWritesPerKey: number;
  /** Stop each worker after this many transactions; unset means run until the time limit. */
  opsPerWorker?: number;
}

/** List-append uses the shared transactional generator knobs unchanged. */
export type ListAppendOptions = TxnGenOptions;

/** Elle's defaults; `keyCount` is 3 instead when `keyDist` is `uniform`. */
export const TXN_GEN_DEFAULTS: Readonly<Omit<TxnGenOptions, 'opsPerWorker'>> = Object.freeze({
  keyCount: 10,
  keyDist: 'exponential',
  minTxnLength: 1,
  maxTxnLength: 4,
  maxWritesPerKey: 256,
});

const UNIFORM_KEY_COUNT = 3;
const TXN_GEN_OPTIONS = ['keyCount', 'keyDist', 'minTxnLength', 'maxTxnLength', 'maxWritesPerKey', 'opsPerWorker'] as const;

const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** Rejects anything but a plain object and names unknown options together with the valid ones. */
export function checkOptionKeys(family: string, options: unknown, valid: readonly string[]): Record<string, unknown> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new WorkloadOptionsError(`${family} options must be an object, got ${show(options)}`);
  }
  const unknown = Object.keys(options).filter((k) => !valid.includes(k));
  if (unknown.length > 0) {
    throw new WorkloadOptionsError(
      `unknown ${family} option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; valid options are: ${valid.join(', ')}`,
    );
  }
  return options as Record<string, unknown>;
}

/** A finite number option within bounds (and an integer if asked), or a WorkloadOptionsError saying what was expected. */
export function checkNumberOption(family: string, name: string, v: unknown, opts: { integer?: boolean; min: number; max?: number }): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new WorkloadOptionsError(`${family} option ${name} must be a finite number, got ${show(v)}`);
  if (opts.integer && !Number.isSafeInteger(v)) throw new WorkloadOptionsError(`${family} option ${name} must be an integer, got ${v}`);
  if (v < opts.min) throw new WorkloadOptionsError(`${family} option ${name} must be >= ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) throw new WorkloadOptionsError(`${family} option ${name} must be <= ${opts.max}, got ${v}`);
  return v;
}

/** Validates a worker index so `worker * VALUE_STRIDE + counter` stays a safe integer. */
export function checkWorker(family: string, worker: number): void {
  const limit = Math.floor(Number.MAX_SAFE_INTEGER / VALUE_STRIDE) - 1;
  if (!Number.isSafeInteger(worker) || worker < 0 || worker >= limit) {
    throw new RangeError(`${family} worker index must be a non-negative integer below ${limit}, got ${worker}`);
  }
}

/** Validates list-append / rw-register options (from a scenario file) and fills in Elle's defaults. */
export function resolveTxnGenOptions(family: string, options: unknown = {}): TxnGenOptions {
  const o = checkOptionKeys(family, options, TXN_GEN_OPTIONS);
  const keyDist = o.keyDist === undefined ? TXN_GEN_DEFAULTS.keyDist : o.keyDist;
  if (typeof keyDist !== 'string' || !(KEY_DISTS as readonly string[]).includes(keyDist)) {
    throw new WorkloadOptionsError(`${family} option keyDist must be one of ${KEY_DISTS.join(', ')}, got ${show(keyDist)}`);
  }
  const dist = keyDist as KeyDist;
  const pick = (k: keyof typeof TXN_GEN_DEFAULTS, fallback: unknown): unknown => (o[k] === undefined ? fallback : o[k]);
  const resolved: TxnGenOptions = {
    keyCount: checkNumberOption(family, 'keyCount', pick('keyCount', dist === 'uniform' ? UNIFORM_KEY_COUNT : TXN_GEN_DEFAULTS.keyCount), { integer: true, min: 1, max: 1_000_000 }),
    keyDist: dist,
    minTxnLength: checkNumberOption(family, 'minTxnLength', pick('minTxnLength', TXN_GEN_DEFAULTS.minTxnLength), { integer: true, min: 1 }),
    maxTxnLength: checkNumberOption(family, 'maxTxnLength', pick('maxTxnLength', TXN_GEN_DEFAULTS.maxTxnLength), { integer: true, min: 1, max: 10_000 }),
    maxWritesPerKey: checkNumberOption(family, 'maxWritesPerKey', pick('maxWritesPerKey', TXN_GEN_DEFAULTS.maxWritesPerKey), { integer: true, min: 1 }),
  };
  if (resolved.minTxnLength > resolved.maxTxnLength) {
    throw new WorkloadOptionsError(`${family} option minTxnLength (${resolved.minTxnLength}) must be <= maxTxnLength (${resolved.maxTxnLength})`);
  }
  if (o.opsPerWorker !== undefined) resolved.opsPerWorker = checkNumberOption(family, 'opsPerWorker', o.opsPerWorker, { integer: true, min: 0 });
  return resolved;
}

/** The key slot `slot` holds in generation `generation`: the same numbering in every worker. */
export function slotKey(slot: number, generation: number, keyCount: number): number {
  return generation * keyCount + slot;
}

/** Cumulative slot probabilities for the exponential distribution (slot i has weight 2^-i), last entry exactly 1. */
function exponentialCdf(keyCount: number): Float64Array {
  const cdf = new Float64Array(keyCount);
  let sum = 0;
  for (let i = 0; i < keyCount; i++) sum += 2 ** -i;
  let acc = 0;
  for (let i = 0; i < keyCount; i++) {
    acc += 2 ** -i / sum;
    cdf[i] = acc;
  }
  cdf[keyCount - 1] = 1;
  return cdf;
}

/** A micro-op as generated: a write (`append` / `w`) of a fresh value, or a read with a null placeholder. */
export type GenMop = [f: 'append' | 'w' | 'r', key: number, value: number | null];

/** One worker's transaction stream. Pure: it sees only its rng, so the stream replays from the seed. */
export class TxnGenerator implements OpGenerator {
  private counter = 0;
  private emitted = 0;
  /** Per slot: its current generation and how often this worker wrote to its current key. */
  private readonly generation: number[];
  private readonly writes: number[];
  private readonly cdf: Float64Array | undefined;
  private readonly base: number;

  constructor(
    private readonly opts: TxnGenOptions,
    private readonly writeF: 'append' | 'w',
    private readonly worker: number,
    private readonly rng: Rng,
  ) {
    this.generation = new Array<number>(opts.keyCount).fill(0);
    this.writes = new Array<number>(opts.keyCount).fill(0);
    this.cdf = opts.keyDist === 'exponential' ? exponentialCdf(opts.keyCount) : undefined;
    this.base = worker * VALUE_STRIDE;
  }

  /** The keys this worker currently considers live, slot order. */
  liveKeys(): number[] {
    return this.generation.map((g, s) => slotKey(s, g, this.opts.keyCount));
  }

  private slot(): number {
    const n = this.opts.keyCount;
    if (n === 1) return 0;
    if (!this.cdf) return this.rng.int(0, n - 1);
    const u = this.rng.float();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (u < this.cdf[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private fresh(): number {
    if (this.counter >= VALUE_STRIDE - 1) throw new RangeError(`worker ${this.worker} ran out of unique values after ${this.counter} writes`);
    return this.base + ++this.counter;
  }

  next(): OpRequest | null {
    if (this.opts.opsPerWorker !== undefined && this.emitted >= this.opts.opsPerWorker) return null;
    this.emitted++;
    const { minTxnLength, maxTxnLength, keyCount, maxWritesPerKey } = this.opts;
    const length = minTxnLength === maxTxnLength ? minTxnLength : this.rng.int(minTxnLength, maxTxnLength);
    const mops: GenMop[] = [];
    for (let i = 0; i < length; i++) {
      const s = this.slot();
      const key = slotKey(s, this.generation[s]!, keyCount);
      if (this.rng.chance(0.5)) {
        mops.push(['r', key, null]);
        continue;
      }
      mops.push([this.writeF, key, this.fresh()]);
      if (++this.writes[s]! >= maxWritesPerKey) {
        // Retire: later micro-ops (even in this txn) use the slot's next key.
        this.generation[s]!++;
        this.writes[s] = 0;
      }
    }
    return { f: 'txn', value: mops };
  }
}

/**
 * A transactional workload over TxnGenerator. `finalOps` is one read txn over the union of every worker's current
 * live keys (keys all workers have retired are not read again: reading every key ever used is impractical). It
 * looks at the generators this workload made, so call it after the run (the harness does); the generators are
 * tracked per worker index, a later `generator(w)` replacing the earlier one.
 */
export function txnWorkload(name: 'list-append' | 'rw-register', writeF: 'append' | 'w', options?: unknown): Workload<TxnGenOptions> {
  const resolved = resolveTxnGenOptions(name, options);
  const generators = new Map<number, TxnGenerator>();
  return {
    name,
    options: resolved,
    generator(worker: number, rng: Rng): OpGenerator {
      checkWorker(name, worker);
      const g = new TxnGenerator(resolved, writeF, worker, rng);
      generators.set(worker, g);
      return g;
    },
    finalOps(): OpRequest[] {
      const keys = new Set<number>();
      if (generators.size === 0) for (let s = 0; s < resolved.keyCount; s++) keys.add(s);
      for (const g of generators.values()) for (const k of g.liveKeys()) keys.add(k);
      const value: GenMop[] = [...keys].sort((a, b) => a - b).map((k) => ['r', k, null]);
      return [{ f: 'txn', value }];
    },
  };
}

/** The list-append workload (Elle's defaults); throws WorkloadOptionsError for bad options. */
export function listAppendWorkload(options?: Partial<ListAppendOptions>): Workload<ListAppendOptions> {
  return txnWorkload('list-append', 'append', options);
}
