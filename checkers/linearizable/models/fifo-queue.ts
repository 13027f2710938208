/**
 * `fifo-queue`: a first-in first-out queue of JSON values, compared by content.
 *
 * - `enqueue` v (the invocation's value): always legal; appends v. Enqueuing null is rejected as an input error,
 *   since a dequeue returning null means "the queue was empty".
 * - `dequeue` -> v (the completion's value): legal iff v equals the head, which it removes. A known dequeue
 *   that returned null observed an empty queue: legal iff the queue is empty (read-only).
 * - A `dequeue` with unknown outcome (info / never completed) removes the head if there is one; on an empty queue
 *   it cannot have taken effect (the search then treats it as never having happened).
 *
 * Jepsen's `drain` op is not supported (it is not atomic): record its dequeues as separate ops.
 *
 * State: the elements' canonical texts, head first, with a precomputed order-sensitive hash.
 */
import { ModelConfigError, type Model, type ModelOp, type ModelOptions } from '../model.js';
import { asCollection, checkJson, opError, perOp, readOptions, showElems, stringsEqual, unknownF, type OptionDoc } from './common.js';
import { canonical, hashString, mix, show } from './value.js';

export const FIFO_QUEUE_OPTIONS: readonly OptionDoc[] = [{ name: 'initial', doc: 'the elements before any op, head first (JSON array; default [])' }];

export interface FifoState {
  /** Canonical texts of the elements, head first. */
  readonly items: readonly string[];
  readonly h: number;
}

const NAME = 'fifo-queue';
const EMPTY_HASH = 0x3b9aca07;

interface CompiledQueueOp {
  readonly enqueue: boolean;
  /** enqueue: the element; known dequeue: the element returned, or null if it observed an empty queue. */
  readonly elem: string | null;
}

function fifoState(items: readonly string[]): FifoState {
  let h = EMPTY_HASH;
  for (const x of items) h = mix(h, hashString(x));
  return { items, h };
}

/** Validate a queue's `initial` option into canonical texts (shared with unordered-queue). */
export function queueInitial(name: string, v: unknown): string[] {
  const items = asCollection(v === undefined || v === null ? [] : v);
  if (items === undefined) throw new ModelConfigError(`${name} model: option initial must be an array of elements, got ${show(v)}`);
  checkJson(name, 'option initial', items);
  if (items.some((x) => x === null)) throw new ModelConfigError(`${name} model: option initial holds null, which a dequeue cannot tell from "empty"`);
  return items.map((x) => canonical(x));
}

/** Interpret an enqueue/dequeue op (shared with unordered-queue). */
export function compileQueueOp(name: string, op: ModelOp): CompiledQueueOp {
  switch (op.f) {
    case 'enqueue': {
      if (op.input === null || op.input === undefined) {
        throw opError(name, op, 'enqueue of null', 'a dequeue returning null means the queue was empty, so null cannot be an element');
      }
      return { enqueue: true, elem: canonical(op.input) };
    }
    case 'dequeue':
      return { enqueue: false, elem: !op.known || op.output === null || op.output === undefined ? null : canonical(op.output) };
    default:
      throw unknownF(name, op, ['enqueue', 'dequeue']);
  }
}

/** Shared describeOp of the queue models. */
export function describeQueueOp(op: ModelOp): string {
  if (op.f === 'dequeue') return `dequeue -> ${!op.known ? '?' : op.output === null || op.output === undefined ? 'empty' : show(op.output)}`;
  return `${op.f} ${show(op.input)}`;
}

/** The `fifo-queue` model. */
export function fifoQueueModel(opts?: ModelOptions): Model<FifoState> {
  const o = readOptions(NAME, opts, FIFO_QUEUE_OPTIONS);
  const initial = fifoState(queueInitial(NAME, o.initial));
  const compile = perOp((op: ModelOp) => compileQueueOp(NAME, op));

  return {
    name: NAME,
    init: () => initial,
    step(state, op) {
      const c = compile(op);
      const items = state.items;
      if (c.enqueue) return { items: [...items, c.elem!], h: mix(state.h, hashString(c.elem!)) };
      if (op.known && c.elem === null) return items.length === 0 ? state : undefined;
      if (items.length === 0) return undefined;
      if (op.known && items[0] !== c.elem) return undefined;
      return fifoState(items.slice(1));
    },
    hash: (s) => s.h,
    equals: (a, b) => a === b || (a.h === b.h && stringsEqual(a.items, b.items)),
    readOnly: (op) => {
      const c = compile(op);
      return !c.enqueue && op.known && c.elem === null;
    },
    unconditional: (op) => compile(op).enqueue,
    mayEnable(candidate, blocked) {
      // A blocked dequeue waits for its element to be enqueued or for the elements ahead of it to leave; a
      // dequeue that saw an empty queue waits for dequeues.
      const c = compile(candidate);
      const b = compile(blocked);
      if (!c.enqueue) return true;
      return !b.enqueue && blocked.known && b.elem !== null && b.elem === c.elem;
    },
    crashClass: (op) => {
      const c = compile(op);
      return c.enqueue ? `enqueue|${c.elem}` : 'dequeue';
    },
    describe: (s) => (s.items.length === 0 ? 'empty' : `[${showElems(s.items)}] (head first)`),
    describeOp: describeQueueOp,
  };
}
