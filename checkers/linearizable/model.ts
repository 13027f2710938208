/**
 * The public contract between the linearizability search and a sequential specification. Implement `Model`
 * to check your own object: the search only ever calls these methods.
 */
import type { ProcessId } from '../history/types.js';

/** An operation as a sequential model sees it: arguments from the invocation, result from the completion. */
export interface ModelOp {
  /** Dense id of the paired op (invocation order). */
  readonly id: number;
  /** History index of the invocation, for messages. */
  readonly index: number;
  readonly process: ProcessId;
  readonly f: string;
  /** The invocation's value (arguments: the value to write, `[old, new]` for cas, `null` for a read). */
  readonly input: unknown;
  /** The completion's value (the result: the value read). `undefined` when the outcome is unknown. */
  readonly output: unknown;
  /** true: the op took effect and `output` is its result. false (Jepsen `info`/no completion): it may have taken effect, result unknown. */
  readonly known: boolean;
  /** `key` field of the invocation (or completion), when the recorder set one. */
  readonly key?: unknown;
}

/** A group of ops that touch a disjoint part of the object, checked on its own (P-compositionality). */
export interface Partition {
  /** What the partition is (a key, a set of keys): shown in reports. */
  key: unknown;
  ops: ModelOp[];
}

/** A sequential specification the search replays candidate orders against; states must be treated as immutable. */
export interface Model<S = unknown> {
  /** Name shown in results. */
  readonly name: string;
  /** The state before any op. */
  init(): S;
  /**
   * Apply one op. Returns the next state, or `undefined` when the op's recorded result is impossible from `state`.
   * When `op.known` is false the op is known only to have been invoked: return the state it would leave had it
   * taken effect (or `undefined` if it cannot take effect here); the search itself covers "it never happened".
   */
  step(state: S, op: ModelOp): S | undefined;
  /** A 32-bit hash of a state; equal states must hash equal. */
  hash(state: S): number;
  equals(a: S, b: S): boolean;
  /** Split a history into independent sub-objects; each is checked alone, which is exponentially cheaper. */
  partition?(ops: readonly ModelOp[]): Partition[];
  /**
   * True if the op never changes the state (a read). Lets the search linearize it as soon as it is legal
   * without branching, and drop it entirely when its result is unknown.
   */
  readOnly?(op: ModelOp): boolean;
  /**
   * True if the op is legal in every state (a blind write). A search-order hint: such ops are tried after ops
   * whose legality depends on the state, which would otherwise miss the moment their condition holds.
   */
  unconditional?(op: ModelOp): boolean;
  /**
   * True if, from `state`, `candidate`'s effect could be part of what `blocked` observes (an add of an element a
   * read returned; an append that extends the value towards what a get returned). A search-order hint: while
   * `blocked` cannot be linearized, relevant ops are tried before the others. Never affects the verdict.
   */
  relevant?(state: S, blocked: ModelOp, candidate: ModelOp): boolean;
  /**
   * False only if no state `candidate` can leave makes `blocked` legal (a write of 2 never enables a read of 1).
   * Lets the search abandon a configuration as soon as a blocked op has no possible enabler left before its
   * deadline. Must over-approximate: answering true when unsure is always safe; a wrong false is a wrong verdict.
   */
  mayEnable?(candidate: ModelOp, blocked: ModelOp): boolean;
  /**
   * For an op whose outcome is unknown: a key such that two such ops with equal keys have identical effects,
   * so the search tries only one of them at each point. Omit (or return undefined) when unsure.
   */
  crashClass?(op: ModelOp): string | undefined;
  /** Human-readable state, for counterexamples. */
  describe(state: S): string;
  /** Human-readable op, for counterexamples; defaults to `f(input) -> output`. */
  describeOp?(op: ModelOp): string;
}

/** Options every built-in model accepts. */
export interface ModelOptions {
  /** The state before any op, as JSON (`""` for kv appends, `0` or `null` for registers). */
  initial?: unknown;
  /** Model-specific switches (e.g. `nilReadAny` for cas-register, `ownerAware` for mutex). */
  [option: string]: unknown;
}

/** Thrown for a model name or option the caller got wrong; the CLI turns it into exit code 64. */
export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelConfigError';
  }
}
