/**
 * The operation schema shared by the recorder, the importers and every checker. It is Jepsen's schema, so
 * histories move to and from Elle, Knossos and Porcupine without translation.
 */

/** What a record says about an operation: started, certainly took effect, certainly did not, or unknown. */
export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

/** The four valid op types, for validation messages. */
export const OP_TYPES: readonly OpType[] = ['invoke', 'ok', 'fail', 'info'];

/** Integer for a client worker, a string (usually `"nemesis"`) for faults: a process has one op in flight. */
export type ProcessId = number | string;

/** One history record; extra fields a tool wrote are kept so exports round-trip. */
export interface Op {
  /** Position in the history: unique and increasing, so anomalies can name the ops that witness them. */
  index: number;
  /** Nanoseconds since run start (monotonic); optional on input, where file order is real-time order. */
  time?: number;
  process: ProcessId;
  type: OpType;
  f: string;
  value: unknown;
  key?: unknown;
  error?: unknown;
  node?: string;
  [field: string]: unknown;
}

/** A history is ops in real-time order. */
export type History = readonly Op[];

/** Where an op came from, so input errors can say file:line. */
export interface SourcePos {
  file?: string;
  line?: number;
}

/** Bad input, reported with the place and what was expected instead of a stack trace. */
export class HistoryError extends Error {
  constructor(
    readonly problem: string,
    readonly pos: SourcePos = {},
  ) {
    super(HistoryError.format(problem, pos));
    this.name = 'HistoryError';
  }

  static format(problem: string, pos: SourcePos): string {
    const where = pos.file !== undefined ? `${pos.file}${pos.line !== undefined ? `:${pos.line}` : ''}` : pos.line !== undefined ? `line ${pos.line}` : '';
    return where ? `${where}: ${problem}` : problem;
  }
}

/**
 * An invocation paired with its completion: the unit every checker reasons about.
 * `outcome` 'info' covers both an `info` completion and an invocation that never completed.
 */
export interface PairedOp {
  /** Dense id in invocation order (0..n-1). */
  id: number;
  process: ProcessId;
  f: string;
  invoke: Op;
  /** The completion record, or undefined when the history ends with the op still in flight. */
  complete?: Op;
  outcome: 'ok' | 'fail' | 'info';
  /** Position of the invocation and completion in the history array (completion = Infinity when absent). */
  invokePos: number;
  completePos: number;
}
