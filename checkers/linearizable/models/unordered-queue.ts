/**
 * `unordered-queue`: a queue that may hand out its elements in any order (a multiset), compared by content.
 *
 * - `enqueue` v: always legal; adds one v. Enqueuing null is rejected (null output means "empty").
 * - `dequeue` -> v: legal iff v is present; removes one occurrence. A known dequeue that returned null observed
 *   an empty queue: legal iff the queue is empty (read-only).
 * - A `dequeue` with unknown outcome (info / never completed), if it took effect, removed *some* element present at
 *   that moment, which no one knows. Rather than guess (which would raise false alarms), the state records it as a
 *   claim on "one of the elements enqueued before it"; a later known dequeue may take any element as long as the
 *   claims can still be met (Hall's condition, which for these nested choices is a prefix count), and an "empty"
 *   observation is legal iff every remaining element is claimed. This is exact: no false alarms and no missed
 *   anomalies. On an empty (or fully claimed) queue an unknown dequeue cannot take effect.
 *
 * State: segments in enqueue order, each a sorted multiset of canonical texts plus the number of crashed dequeues
 * that came after it (which may have taken any element of it or of an earlier segment). Normal form: only the last
 * segment has no claims; no segment but the last is empty; for every prefix, claims < elements (a prefix whose
 * claims equal its elements is all taken and is dropped). Without crashed dequeues the state is one segment.
 */
import type { Model, ModelOp, ModelOptions } from '../model.js';
import { perOp, readOptions, removeAt, showElems, sortedFind, sortedInsert, stringsEqual, type OptionDoc } from './common.js';
import { compileQueueOp, describeQueueOp, queueInitial } from './fifo-queue.js';
import { hashString, mix } from './value.js';

export const UNORDERED_QUEUE_OPTIONS: readonly OptionDoc[] = [{ name: 'initial', doc: 'the elements before any op (JSON array; default [])' }];

export interface QueueSegment {
  /** Canonical texts, sorted, duplicates kept. */
  readonly elems: readonly string[];
  /** Crashed dequeues after this segment's elements (before the next segment's). */
  readonly claims: number;
  /** Sum of the elements' hashes. */
  readonly sum: number;
}

export interface UnorderedState {
  readonly segs: readonly QueueSegment[];
  readonly h: number;
}

const NAME = 'unordered-queue';

function seg(elems: readonly string[], claims: number, sum?: number): QueueSegment {
  if (sum === undefined) {
    sum = 0;
    for (const e of elems) sum = (sum + hashString(e)) | 0;
  }
  return { elems, claims, sum };
}

function state(segs: readonly QueueSegment[]): UnorderedState {
  let h = 0x5be0cd19 ^ segs.length;
  for (const s of segs) h = mix(mix(h, s.sum ^ s.elems.length), s.claims);
  return { segs, h };
}

const EMPTY: UnorderedState = state([]);

/** Bring segments to normal form: drop the longest fully claimed prefix and fold empty segments into the one before. */
function normalize(segs: QueueSegment[]): UnorderedState {
  let e = 0;
  let w = 0;
  let cut = 0;
  for (let j = 0; j < segs.length; j++) {
    e += segs[j]!.elems.length;
    w += segs[j]!.claims;
    if (w === e) cut = j + 1;
  }
  const out: QueueSegment[] = [];
  for (let j = cut; j < segs.length; j++) {
    const s = segs[j]!;
    if (s.elems.length === 0 && out.length > 0) {
      const prev = out[out.length - 1]!;
      out[out.length - 1] = seg(prev.elems, prev.claims + s.claims, prev.sum);
    } else out.push(s);
  }
  return out.length === 0 ? EMPTY : state(out);
}

/** The `unordered-queue` model. */
export function unorderedQueueModel(opts?: ModelOptions): Model<UnorderedState> {
  const o = readOptions(NAME, opts, UNORDERED_QUEUE_OPTIONS);
  const initItems = queueInitial(NAME, o.initial).sort();
  const initial = initItems.length === 0 ? EMPTY : state([seg(initItems, 0)]);
  const compile = perOp((op: ModelOp) => compileQueueOp(NAME, op));

  return {
    name: NAME,
    init: () => initial,
    step(st, op) {
      const c = compile(op);
      const segs = st.segs;
      const n = segs.length;
      if (c.enqueue) {
        const x = c.elem!;
        if (n === 0) return state([seg([x], 0, hashString(x))]);
        const last = segs[n - 1]!;
        const out = segs.slice();
        if (last.claims === 0) out[n - 1] = seg(sortedInsert(last.elems, x), 0, (last.sum + hashString(x)) | 0);
        else out.push(seg([x], 0, hashString(x)));
        return state(out);
      }
      if (!op.known) {
        // A crashed dequeue: claim one of the elements present now.
        if (n === 0) return undefined;
        const out = segs.slice();
        const last = segs[n - 1]!;
        out[n - 1] = seg(last.elems, last.claims + 1, last.sum);
        return normalize(out);
      }
      if (c.elem === null) return n === 0 ? st : undefined;
      // Take the latest occurrence: later elements are eligible for fewer claims, so this keeps the most options.
      for (let s = n - 1; s >= 0; s--) {
        const sg = segs[s]!;
        const i = sortedFind(sg.elems, c.elem);
        if (i < 0) continue;
        const out = segs.slice();
        out[s] = seg(removeAt(sg.elems, i), sg.claims, (sg.sum - hashString(c.elem)) | 0);
        return normalize(out);
      }
      return undefined;
    },
    hash: (s) => s.h,
    equals(a, b) {
      if (a === b) return true;
      if (a.h !== b.h || a.segs.length !== b.segs.length) return false;
      for (let i = 0; i < a.segs.length; i++) {
        const x = a.segs[i]!;
        const y = b.segs[i]!;
        if (x.claims !== y.claims || x.sum !== y.sum || !stringsEqual(x.elems, y.elems)) return false;
      }
      return true;
    },
    mayEnable(candidate, blocked) {
      // A dequeue that saw an empty queue waits for dequeues. A blocked dequeue of v waits for an enqueue: of v,
      // or of any element once crashed dequeues have claimed what is there.
      const b = compile(blocked);
      if (!compile(candidate).enqueue) return true;
      return !b.enqueue && !(blocked.known && b.elem === null);
    },
    readOnly: (op) => {
      const c = compile(op);
      return !c.enqueue && op.known && c.elem === null;
    },
    crashClass: (op) => {
      const c = compile(op);
      return c.enqueue ? `enqueue|${c.elem}` : 'dequeue';
    },
    describe(s) {
      if (s.segs.length === 0) return 'empty';
      return s.segs
        .map((g) => `{${showElems(g.elems)}}${g.claims > 0 ? ` less ${g.claims} (any of the above) taken by crashed dequeue${g.claims > 1 ? 's' : ''}` : ''}`)
        .join(', then ');
    },
    describeOp: describeQueueOp,
  };
}
