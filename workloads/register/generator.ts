/**
 * The register workload: reads, blind writes and compare-and-set on a few independent keys, judged by the `kv`
 * linearizability model (one partition per key). Write values are unique across the whole run so every read
 * names exactly one write, which keeps the checker's search small and its counterexamples readable.
 */
import type { Rng } from '../../harness/seed.js';
import type { OpGenerator, OpRequest, Workload } from '../types.js';

/** Knobs of the register workload; ratios are relative weights, so `{ readRatio: 1, writeRatio: 1 }` is 50/50. */
export interface RegisterOptions {
  /** How many keys (`k0..k{n-1}`); fewer keys means more contention per key. */
  keys: number;
  /** Weight of `read` ops. */
  readRatio: number;
  /** Weight of `write` ops. */
  writeRatio: number;
  /** Weight of `cas` ops. */
  casRatio: number;
  /** Stop each worker after this many ops; unset means run until the time limit. */
  opsPerWorker?: number;
}

/** A bad option, named with the valid choices so a scenario author can fix it without reading the source. */
export class RegisterOptionsError extends Error {
  override readonly name = 'RegisterOptionsError';
}

export const REGISTER_DEFAULTS: Readonly<RegisterOptions> = Object.freeze({ keys: 3, readRatio: 0.5, writeRatio: 0.3, casRatio: 0.2 });

const VALID_OPTIONS = ['keys', 'readRatio', 'writeRatio', 'casRatio', 'opsPerWorker'] as const;

/**
 * Values a worker writes are `worker * VALUE_STRIDE + counter + 1`: unique without coordination, never 0 or null,
 * and room for a billion writes per worker before two workers could collide.
 */
export const VALUE_STRIDE = 1_000_000_000;

/** How many of its own recent values per key a worker remembers as candidates for a cas's expected value. */
const RECENT = 4;
/** Probability that a cas expects the key to be absent (null) even when the worker has written it. */
const CAS_NULL_CHANCE = 0.05;
/** Probability that a cas expects the worker's latest value for the key rather than an older one. */
const CAS_LATEST_CHANCE = 0.6;

function checkNumber(name: string, v: unknown, opts: { integer?: boolean; min: number }): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new RegisterOptionsError(`register option ${name} must be a finite number, got ${JSON.stringify(v) ?? String(v)}`);
  }
  if (opts.integer && !Number.isSafeInteger(v)) throw new RegisterOptionsError(`register option ${name} must be an integer, got ${v}`);
  if (v < opts.min) throw new RegisterOptionsError(`register option ${name} must be >= ${opts.min}, got ${v}`);
  return v;
}

/** Validates user-supplied options (from a scenario file) and fills in defaults. */
export function resolveRegisterOptions(options: Partial<RegisterOptions> = {}): RegisterOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new RegisterOptionsError(`register options must be an object, got ${JSON.stringify(options)}`);
  }
  const unknown = Object.keys(options).filter((k) => !(VALID_OPTIONS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new RegisterOptionsError(
      `unknown register option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; valid options are: ${VALID_OPTIONS.join(', ')}`,
    );
  }
  const pick = <K extends keyof RegisterOptions>(k: K): RegisterOptions[K] => (options[k] === undefined ? REGISTER_DEFAULTS[k] : options[k]) as RegisterOptions[K];
  const resolved: RegisterOptions = {
    keys: checkNumber('keys', pick('keys'), { integer: true, min: 1 }),
    readRatio: checkNumber('readRatio', pick('readRatio'), { min: 0 }),
    writeRatio: checkNumber('writeRatio', pick('writeRatio'), { min: 0 }),
    casRatio: checkNumber('casRatio', pick('casRatio'), { min: 0 }),
  };
  if (resolved.readRatio + resolved.writeRatio + resolved.casRatio <= 0) {
    throw new RegisterOptionsError('register options readRatio, writeRatio and casRatio must not all be 0 (their sum must be > 0)');
  }
  if (options.opsPerWorker !== undefined) resolved.opsPerWorker = checkNumber('opsPerWorker', options.opsPerWorker, { integer: true, min: 0 });
  return resolved;
}

/** Register values are integers; anything else someone stored is returned as the raw string. */
export function parseRegisterValue(s: string | null): number | string | null {
  if (s === null) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && String(n) === s ? n : s;
}

/** The key names, `k0..k{n-1}`. */
export function registerKeys(keys: number): string[] {
  return Array.from({ length: keys }, (_, i) => `k${i}`);
}

/** One worker's op stream. Pure: it sees only its rng, never outcomes, so the stream replays from the seed. */
class RegisterGenerator implements OpGenerator {
  private counter = 0;
  private emitted = 0;
  /** Per key, the last few values this worker wrote (blind writes and cas targets), newest last. */
  private readonly recent: number[][];
  private readonly readCut: number;
  private readonly writeCut: number;
  private readonly base: number;

  constructor(
    private readonly opts: RegisterOptions,
    private readonly keyNames: readonly string[],
    private readonly worker: number,
    private readonly rng: Rng,
  ) {
    const total = opts.readRatio + opts.writeRatio + opts.casRatio;
    this.readCut = opts.readRatio / total;
    this.writeCut = (opts.readRatio + opts.writeRatio) / total;
    this.recent = keyNames.map(() => []);
    this.base = worker * VALUE_STRIDE;
  }

  private fresh(): number {
    if (this.counter >= VALUE_STRIDE - 1) throw new RangeError(`register worker ${this.worker} ran out of unique values after ${this.counter} writes`);
    return this.base + ++this.counter;
  }

  private remember(k: number, v: number): void {
    const r = this.recent[k]!;
    r.push(v);
    if (r.length > RECENT) r.shift();
  }

  next(): OpRequest | null {
    if (this.opts.opsPerWorker !== undefined && this.emitted >= this.opts.opsPerWorker) return null;
    this.emitted++;
    const k = this.keyNames.length === 1 ? 0 : this.rng.int(0, this.keyNames.length - 1);
    const key = this.keyNames[k]!;
    const x = this.rng.float();
    if (x < this.readCut) return { f: 'read', key, value: null };
    if (x < this.writeCut) {
      const v = this.fresh();
      this.remember(k, v);
      return { f: 'write', key, value: v };
    }
    // cas: expect one of this worker's own recent values for the key (the latest most often), or absence.
    const r = this.recent[k]!;
    let old: number | null = null;
    if (r.length > 0 && !this.rng.chance(CAS_NULL_CHANCE)) {
      old = this.rng.chance(CAS_LATEST_CHANCE) ? r[r.length - 1]! : this.rng.pick(r);
    }
    const v = this.fresh();
    this.remember(k, v);
    return { f: 'cas', key, value: [old, v] };
  }
}

/** The register workload; throws `RegisterOptionsError` for bad options. */
export function registerWorkload(options?: Partial<RegisterOptions>): Workload<RegisterOptions> {
  const resolved = resolveRegisterOptions(options);
  const keyNames = registerKeys(resolved.keys);
  return {
    name: 'register',
    options: resolved,
    generator(worker: number, rng: Rng): OpGenerator {
      if (!Number.isSafeInteger(worker) || worker < 0 || worker >= Number.MAX_SAFE_INTEGER / VALUE_STRIDE - 1) {
        throw new RangeError(`register worker index must be a non-negative integer below ${Math.floor(Number.MAX_SAFE_INTEGER / VALUE_STRIDE) - 1}, got ${worker}`);
      }
      return new RegisterGenerator(resolved, keyNames, worker, rng);
    },
    finalOps(): OpRequest[] {
      return keyNames.map((key) => ({ f: 'read', key, value: null }));
    },
  };
}
