/**
 * The lock workload: every worker loops acquire -> read -> write -> release on one of a few named locks, where
 * read and write are a read-modify-write of the harness's guarded resource (a counter and a set). The generator
 * reacts to outcomes (a failed acquire is retried; a failed read skips the write), so unlike the register
 * workload the op stream depends on what the system did, but every choice it makes is drawn from the seed.
 */
import type { Rng } from '../../harness/seed.js';
import type { LastOp, OpGenerator, OpRequest, RunningServices, ServiceContext, Workload } from '../types.js';
import { startResourceServer } from './resource-server.js';
import type { ResourceRecord } from './guarded-resource.js';

/** Knobs of the lock workload. */
export interface LockWorkloadOptions {
  /** How many independent locks the workers contend for (each worker picks one per round). Default 1. */
  locks: number;
  /** How long a holder thinks between reading and writing back, [min, max] ms: the critical section's length. */
  holdMs: [number, number];
  /** Whether the resource rejects tokens lower than the highest it has seen (fencing). Default false. */
  fencing: boolean;
}

export const LOCK_DEFAULTS: LockWorkloadOptions = { locks: 1, holdMs: [10, 50], fencing: false };

/** Bad workload options, reported before the run starts. */
export class LockOptionsError extends Error {
  override name = 'LockOptionsError';
}

/** Lock names, `lock-0` ... */
export function lockNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `lock-${i}`);
}

/** Every element a worker adds is unique across the run: worker × 1e6 + its own counter. */
export const ELEMENT_STRIDE = 1_000_000;

type Phase = 'acquire' | 'read' | 'write' | 'release';

/** One worker's loop as a state machine driven by the outcome of its previous op. */
class LockLoop implements OpGenerator {
  private phase: Phase = 'acquire';
  private lock = '';
  private added = 0;

  constructor(
    private readonly worker: number,
    private readonly rng: Rng,
    private readonly opts: LockWorkloadOptions,
    private readonly names: string[],
  ) {}

  next(last?: LastOp): OpRequest | null {
    if (last) this.phase = this.after(last);
    switch (this.phase) {
      case 'acquire':
        this.lock = this.names.length === 1 ? this.names[0]! : this.rng.pick(this.names);
        return { f: 'acquire', key: this.lock, value: null };
      case 'read':
        return { f: 'read', key: this.lock, value: null };
      case 'write':
        this.added++;
        return { f: 'write', key: this.lock, value: { add: this.worker * ELEMENT_STRIDE + this.added, delayMs: this.rng.int(this.opts.holdMs[0], this.opts.holdMs[1]) } };
      case 'release':
        return { f: 'release', key: this.lock, value: null };
    }
  }

  /** The phase after `last`. An `info` anywhere means the worker continues as a fresh client holding nothing. */
  private after({ request, outcome }: LastOp): Phase {
    if (outcome.type === 'info') return 'acquire';
    switch (request.f) {
      case 'acquire':
        return outcome.type === 'ok' ? 'read' : 'acquire';
      case 'read':
        return outcome.type === 'ok' ? 'write' : 'release';
      case 'write':
        return 'release';
      default:
        // A release that certainly did not happen is retried; otherwise the round is over.
        return outcome.type === 'fail' ? 'release' : 'acquire';
    }
  }
}

function checkRange(name: string, r: unknown): [number, number] {
  if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => Number.isInteger(x) && x >= 0) || r[0] > r[1]) {
    throw new LockOptionsError(`lock workload: ${name} must be [min, max] whole milliseconds with min <= max, got ${JSON.stringify(r)}`);
  }
  return [r[0], r[1]];
}

/** Validates options and fills defaults. */
export function resolveLockOptions(opts: Partial<LockWorkloadOptions> = {}): LockWorkloadOptions {
  const known = Object.keys(LOCK_DEFAULTS);
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) throw new LockOptionsError(`lock workload: unknown option ${JSON.stringify(k)}; valid options: ${known.join(', ')}`);
  }
  const o = { ...LOCK_DEFAULTS, ...opts };
  if (!Number.isInteger(o.locks) || o.locks < 1 || o.locks > 1000) throw new LockOptionsError(`lock workload: locks must be an integer from 1 to 1000, got ${JSON.stringify(o.locks)}`);
  if (typeof o.fencing !== 'boolean') throw new LockOptionsError(`lock workload: fencing must be true or false, got ${JSON.stringify(o.fencing)}`);
  return { locks: o.locks, holdMs: checkRange('holdMs', o.holdMs), fencing: o.fencing };
}

/** The lock workload; pair it with `lockClient(<backend>)` and the lock checkers. */
export function lockWorkload(opts: Partial<LockWorkloadOptions> = {}): Workload<LockWorkloadOptions> {
  const options = resolveLockOptions(opts);
  const names = lockNames(options.locks);
  return {
    name: 'lock',
    options,
    generator: (worker: number, rng: Rng) => new LockLoop(worker, rng, options, names),
    finalOps: () => [],
    async services(ctx: ServiceContext): Promise<RunningServices> {
      const server = await startResourceServer({ fenced: options.fencing, record: (rec: ResourceRecord) => ctx.record({ ...rec }) });
      ctx.log(`guarded resource at ${server.url} (fencing ${options.fencing ? 'on' : 'off'})`);
      return { urls: { resource: server.url }, close: () => server.close() };
    },
  };
}
