/**
 * `mutex`: a lock. `acquire` (alias `lock`) is legal iff the lock is free and leaves it held; `release` (alias
 * `unlock`) is legal iff it is held and leaves it free. Outcome-unknown ops have the same effect if they took
 * effect (the search covers "never happened").
 *
 * Option `ownerAware`: the state records who holds the lock and a release is legal only by the holder. The owner
 * of an op is its input (invocation value) when that is non-null, else its process id. Jepsen gives a worker a new
 * process id after an `info`, so a lock acquired by an op that crashed can never be released "by the same
 * process": with process ids as owners, use ownerAware only on histories without crashed acquires, or have the
 * recorder put a stable owner (a client or session id) in the acquire/release value.
 *
 * State: null when free; when held, the owner's canonical text (ownerAware) or "*" (not ownerAware).
 */
import { ModelConfigError, type Model, type ModelOp, type ModelOptions } from '../model.js';
import { boolOption, perOp, readOptions, showCanonicalKey, unknownF, type OptionDoc } from './common.js';
import { canonical, hashString, show } from './value.js';

export const MUTEX_OPTIONS: readonly OptionDoc[] = [
  { name: 'initial', doc: 'null, false or "free" (default): free; true or "held": held; {"owner": X}: held by X' },
  { name: 'ownerAware', doc: 'only the holder may release; owner = the op value if non-null, else its process (default false)' },
];

/** null = free; otherwise who holds it ("*" when owners are not tracked). */
export type MutexState = string | null;

const ANONYMOUS = '*';
const FREE_HASH = 0x2f6b8a1d;

/** The `mutex` model. */
export function mutexModel(opts?: ModelOptions): Model<MutexState> {
  const name = 'mutex';
  const o = readOptions(name, opts, MUTEX_OPTIONS);
  const ownerAware = boolOption(name, o, 'ownerAware');
  const initial = parseInitial(o.initial, ownerAware);

  const ownerOf = perOp((op: ModelOp): string => canonical(op.input !== null && op.input !== undefined ? op.input : op.process));
  const isAcquire = (op: ModelOp): boolean => {
    switch (op.f) {
      case 'acquire':
      case 'lock':
        return true;
      case 'release':
      case 'unlock':
        return false;
      default:
        throw unknownF(name, op, ['acquire', 'release']);
    }
  };

  return {
    name,
    init: () => initial,
    step(state, op) {
      if (isAcquire(op)) {
        if (state !== null) return undefined;
        return ownerAware ? ownerOf(op) : ANONYMOUS;
      }
      if (state === null) return undefined;
      if (ownerAware && state !== ownerOf(op)) return undefined;
      return null;
    },
    hash: (state) => (state === null ? FREE_HASH : hashString(state)),
    equals: (a, b) => a === b,
    // A blocked acquire waits for a release, a blocked release for an acquire.
    mayEnable: (candidate, blocked) => isAcquire(candidate) !== isAcquire(blocked),
    readOnly: (op) => {
      isAcquire(op); // validates f
      return false;
    },
    crashClass: (op) => {
      const f = isAcquire(op) ? 'acquire' : 'release';
      return ownerAware ? `${f}|${ownerOf(op)}` : f;
    },
    describe: (state) => (state === null ? 'free' : state === ANONYMOUS ? 'held' : `held by ${showCanonicalKey(state)}`),
    describeOp: (op) => {
      if (!ownerAware) return op.f;
      const viaProcess = op.input === null || op.input === undefined;
      return `${op.f} (owner ${viaProcess ? 'process ' : ''}${showCanonicalKey(ownerOf(op))})`;
    },
  };
}

function parseInitial(v: unknown, ownerAware: boolean): MutexState {
  if (v === undefined || v === null || v === false || v === 'free') return null;
  if (v === true || v === 'held') {
    if (ownerAware) throw new ModelConfigError('mutex model: with ownerAware, a held initial state needs an owner: use {"owner": X}');
    return ANONYMOUS;
  }
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && 'owner' in v) {
    const owner = (v as { owner: unknown }).owner;
    if (owner === null || owner === undefined) throw new ModelConfigError('mutex model: initial {"owner": X} needs a non-null owner');
    return ownerAware ? canonical(owner) : ANONYMOUS;
  }
  throw new ModelConfigError(`mutex model: bad option initial ${show(v)}; expected null, false or "free" (free), true or "held" (held), or {"owner": X}`);
}
