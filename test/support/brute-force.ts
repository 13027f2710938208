/**
 * A reference linearizability decider for SMALL histories (a dozen ops), written to be obviously correct rather
 * than fast, and independent of the WGL search in checkers/linearizable/search.ts: property tests compare the two.
 *
 * Semantics (Jepsen's):
 * - An invocation is paired with the next completion of the same process.
 * - `fail`: the op never happened; it is dropped.
 * - `ok`: the op took effect exactly once, at some instant between its invocation and its completion.
 * - `info`, or no completion at all: the op may have taken effect at any instant after its invocation, or never.
 * - Records of the process "nemesis" are not client ops (exactly as check.ts's `toModelOp` treats them).
 *
 * The decider enumerates linearizations: repeatedly pick any not-yet-placed op whose real-time predecessors are all
 * placed (an op P precedes Q when P's ok completion comes before Q's invocation in the history), step the model, and
 * accept as soon as every ok op is placed (the info ops not placed by then never happened). Every info op is
 * therefore either placed at some point of the order or never, which covers all of its possible fates.
 *
 * There is no partitioning: the whole history is replayed against the model's `step` (which must handle states
 * spanning several keys), so comparing with the checker also tests the models' P-compositional `partition`.
 *
 * The only optimisation is a memo of configurations already known to fail, keyed by the set of placed ops and the
 * JSON text of the state. Two configurations with the same placed ops and byte-identical states have the same
 * futures, so this never changes the answer; it only keeps histories with many unknown-outcome ops tractable.
 */
import type { Op, PairedOp, ProcessId } from '../../checkers/history/types.js';
import { toModelOp } from '../../checkers/linearizable/check.js';
import type { Model, ModelOp } from '../../checkers/linearizable/model.js';

/** What the reference decided; `order` is a witness linearization of the ops that took effect when valid. */
export interface BruteForceResult {
  valid: boolean;
  order?: ModelOp[];
  /** Configurations explored, to keep an eye on cost. */
  nodes: number;
}

/** One op the enumeration places: its model view and its real-time interval as history positions. */
interface Candidate {
  op: ModelOp;
  /** Position of the invocation in the history array. */
  invokePos: number;
  /** Position of the ok completion; Infinity for ops whose outcome is unknown (they may take effect any time later). */
  completePos: number;
  /** Must it be placed (ok) or may it be left out (info / never completed)? */
  required: boolean;
}

/** Pair invocations with completions, per process, in the plainest way possible. */
export function pairSimply(history: readonly Op[]): PairedOp[] {
  const paired: PairedOp[] = [];
  const open = new Map<ProcessId, PairedOp>();
  history.forEach((record, position) => {
    if (record.type === 'invoke') {
      if (open.has(record.process)) throw new Error(`process ${String(record.process)} invokes twice at history position ${position}`);
      const p: PairedOp = { id: paired.length, process: record.process, f: record.f, invoke: record, outcome: 'info', invokePos: position, completePos: Infinity };
      paired.push(p);
      open.set(record.process, p);
      return;
    }
    const p = open.get(record.process);
    if (p === undefined) {
      if (record.type === 'info' && typeof record.process === 'string') return; // a bare nemesis record
      throw new Error(`completion without invocation at history position ${position}`);
    }
    open.delete(record.process);
    p.complete = record;
    p.outcome = record.type as 'ok' | 'fail' | 'info';
    p.completePos = position;
  });
  return paired;
}

/** Decide linearizability of `history` against `model` by exhaustive enumeration. Only for small histories. */
export function bruteForceLinearizable(history: readonly Op[], model: Model, maxOps = 16): BruteForceResult {
  const candidates: Candidate[] = [];
  for (const p of pairSimply(history)) {
    const op = toModelOp(p); // undefined for fail ops and nemesis ops: they never happened / are not client ops
    if (op === undefined) continue;
    candidates.push({ op, invokePos: p.invokePos, completePos: op.known ? p.completePos : Infinity, required: op.known });
  }
  const n = candidates.length;
  if (n > maxOps) throw new Error(`brute force is for small histories: ${n} ops > ${maxOps}`);

  // predecessors[i]: the ops that completed (ok) before op i was invoked; they must be placed before it.
  const predecessors: number[][] = candidates.map((c) =>
    candidates.flatMap((other, j) => (other.completePos < c.invokePos ? [j] : [])),
  );

  const placed: boolean[] = new Array(n).fill(false);
  const order: ModelOp[] = [];
  const failed = new Set<string>();
  let nodes = 0;

  const allRequiredPlaced = () => candidates.every((c, i) => !c.required || placed[i]);
  const configKey = (state: unknown) => `${placed.map((b) => (b ? '1' : '0')).join('')}|${JSON.stringify(state) ?? 'undefined'}`;

  const search = (state: unknown): boolean => {
    nodes++;
    if (allRequiredPlaced()) return true;
    const key = configKey(state);
    if (failed.has(key)) return false;
    for (let i = 0; i < n; i++) {
      if (placed[i]) continue;
      if (!predecessors[i]!.every((j) => placed[j])) continue;
      const next = model.step(state, candidates[i]!.op);
      if (next === undefined) continue;
      placed[i] = true;
      order.push(candidates[i]!.op);
      if (search(next)) return true;
      order.pop();
      placed[i] = false;
    }
    failed.add(key);
    return false;
  };

  const valid = search(model.init());
  return valid ? { valid, order: [...order], nodes } : { valid, nodes };
}
