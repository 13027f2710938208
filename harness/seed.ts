/**
 * Seeded randomness for a run. One integer seed determines every generated choice; each consumer takes its own
 * named stream (`fork('nemesis')`, `fork('client-3')`) so adding a consumer never shifts another one's choices.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

type Generator = ReturnType<typeof xoroshiro128plus>;

/** FNV-1a over a label, so stream names map to stable 32-bit salts. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h | 0;
}

/** A deterministic random stream; mutable so hot loops do not allocate a generator per draw. */
export class Rng {
  private readonly gen: Generator;

  /** `seed` is any integer; `label` salts it so named streams are independent. */
  constructor(readonly seed: number, readonly label = '') {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    this.gen = xoroshiro128plus((seed ^ hashLabel(label)) | 0);
    // Mix the high bits of large seeds in as well, then discard a few outputs to decorrelate nearby seeds.
    const high = Math.floor(seed / 2 ** 32) | 0;
    for (let i = 0; i < 4 + (high & 7); i++) this.gen.next();
    if (high !== 0) this.gen.jump?.();
  }

  /** A child stream named `label`, independent of how much this stream has been used. */
  fork(label: string): Rng {
    return new Rng(this.seed, this.label === '' ? label : `${this.label}/${label}`);
  }

  /** Uniform integer in [from, to] (inclusive). */
  int(from: number, to: number): number {
    if (to < from) throw new RangeError(`empty range [${from}, ${to}]`);
    return uniformInt(this.gen, from, to);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.int(0, 2 ** 30 - 1) / 2 ** 30 + this.int(0, 2 ** 22 - 1) / 2 ** 52;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p >= 1 ? true : p <= 0 ? false : this.float() < p;
  }

  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(0, items.length - 1)]!;
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** `count` distinct elements, in a random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    return this.shuffle(items).slice(0, Math.max(0, Math.min(count, items.length)));
  }
}

/** A fresh seed for runs that did not ask for one (printed so the run can be reproduced). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
