/**
 * The set workload (Jepsen's `set`, txn-anomalies.md §10): adds of unique elements and occasional reads of the whole
 * set; the final read decides what was lost. Elements are `worker * VALUE_STRIDE + counter`, unique across the run
 * without coordination, so a read names exactly which adds it saw.
 */
import type { Rng } from '../../harness/seed.js';
import { checkNumberOption, checkOptionKeys, checkWorker, VALUE_STRIDE } from '../list-append/generator.js';
import type { OpGenerator, OpRequest, Workload } from '../types.js';

/** Set knobs. */
export interface SetWorkloadOptions {
  /** Probability that an op is a read of the whole set (default 0.1). */
  readRatio: number;
  /** Stop each worker after this many ops; unset means run until the time limit. */
  opsPerWorker?: number;
}

/** Mostly adds: one op in ten reads the whole set. */
export const SET_DEFAULTS: Readonly<Omit<SetWorkloadOptions, 'opsPerWorker'>> = Object.freeze({ readRatio: 0.1 });

const VALID = ['readRatio', 'opsPerWorker'] as const;

/** Validates set options (from a scenario file) and fills in defaults. */
export function resolveSetOptions(options: unknown = {}): SetWorkloadOptions {
  const o = checkOptionKeys('set', options, VALID);
  const resolved: SetWorkloadOptions = {
    readRatio: checkNumberOption('set', 'readRatio', o.readRatio === undefined ? SET_DEFAULTS.readRatio : o.readRatio, { min: 0, max: 1 }),
  };
  if (o.opsPerWorker !== undefined) resolved.opsPerWorker = checkNumberOption('set', 'opsPerWorker', o.opsPerWorker, { integer: true, min: 0 });
  return resolved;
}

/** One worker's op stream; pure (rng only). */
class SetGenerator implements OpGenerator {
  private emitted = 0;
  private counter = 0;
  constructor(
    private readonly opts: SetWorkloadOptions,
    private readonly worker: number,
    private readonly rng: Rng,
  ) {}

  next(): OpRequest | null {
    if (this.opts.opsPerWorker !== undefined && this.emitted >= this.opts.opsPerWorker) return null;
    this.emitted++;
    if (this.rng.chance(this.opts.readRatio)) return { f: 'read', value: null };
    if (this.counter >= VALUE_STRIDE - 1) throw new RangeError(`set worker ${this.worker} ran out of unique elements after ${this.counter} adds`);
    return { f: 'add', value: this.worker * VALUE_STRIDE + ++this.counter };
  }
}

/** The set workload; `finalOps` is one read of the whole set. */
export function setWorkload(options?: Partial<SetWorkloadOptions>): Workload<SetWorkloadOptions> {
  const resolved = resolveSetOptions(options);
  return {
    name: 'set',
    options: resolved,
    generator(worker: number, rng: Rng): OpGenerator {
      checkWorker('set', worker);
      return new SetGenerator(resolved, worker, rng);
    },
    finalOps(): OpRequest[] {
      return [{ f: 'read', value: null }];
    },
  };
}
