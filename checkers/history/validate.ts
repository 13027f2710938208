/**
 * Turns raw records into validated ops and pairs each completion with its process's open invocation, one record
 * at a time, so readers can stream and every error names the file and line that broke the rule.
 */
import { HistoryError, OP_TYPES, type History, type Op, type OpType, type PairedOp, type ProcessId, type SourcePos } from './types.js';

const isOpType = (t: unknown): t is OpType => typeof t === 'string' && (OP_TYPES as readonly string[]).includes(t);

function describePos(pos: SourcePos): string {
  return pos.line !== undefined ? `line ${pos.line}` : 'an earlier op';
}

/** Normalize one decoded record (JSON object or EDN map with keywords as strings) into an Op, or throw. */
export function toOp(raw: unknown, ordinal: number, pos: SourcePos = {}): Op {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new HistoryError(`expected an operation object like {"process":0,"type":"invoke","f":"read","value":null}, got ${preview(raw)}`, pos);
  }
  const r = raw as Record<string, unknown>;
  const { type, process, f } = r;
  if (type === undefined) throw new HistoryError(`missing "type": expected one of ${OP_TYPES.join(', ')}`, pos);
  if (!isOpType(type)) throw new HistoryError(`unknown type ${preview(type)}: expected one of ${OP_TYPES.join(', ')}`, pos);
  if (process === undefined) throw new HistoryError('missing "process": expected an integer (client) or a string such as "nemesis"', pos);
  if (!((typeof process === 'number' && Number.isInteger(process)) || typeof process === 'string')) {
    throw new HistoryError(`bad "process" ${preview(process)}: expected an integer (client) or a string such as "nemesis"`, pos);
  }
  if (typeof f !== 'string' || f === '') throw new HistoryError(`bad or missing "f" ${preview(f)}: expected the operation name as a string, e.g. "read"`, pos);
  let index = ordinal;
  if (r.index !== undefined && r.index !== null) {
    if (typeof r.index !== 'number' || !Number.isInteger(r.index) || r.index < 0) {
      throw new HistoryError(`bad "index" ${preview(r.index)}: expected a non-negative integer`, pos);
    }
    index = r.index;
  }
  const op: Op = { ...r, index, process, type, f, value: r.value === undefined ? null : r.value };
  if (r.time !== undefined && r.time !== null) {
    const t = typeof r.time === 'string' && /^-?\d+$/.test(r.time) ? Number(r.time) : r.time;
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new HistoryError(`bad "time" ${preview(r.time)}: expected nanoseconds as a number or a string of digits`, pos);
    op.time = t;
  } else {
    delete op.time;
  }
  // Op.node is typed as a string: enforce it here so checkers can trust the type; null means "no node".
  if (r.node === null) delete op.node;
  else if (r.node !== undefined && typeof r.node !== 'string') {
    throw new HistoryError(`bad "node" ${preview(r.node)}: expected the node name as a string, e.g. "n1"`, pos);
  }
  return op;
}

/** Pairs invocations with completions as records arrive; `finish()` gives the paired ops in invocation order. */
export class HistoryBuilder {
  readonly ops: Op[] = [];
  private readonly paired: PairedOp[] = [];
  private readonly open = new Map<ProcessId, { pair: PairedOp; pos: SourcePos }>();
  private lastIndex = -1;
  private lastIndexPos: SourcePos = {};

  constructor(private readonly file?: string) {}

  /** Validate and append one raw record; `line` is its 1-based line in the source. */
  add(raw: unknown, line?: number): Op {
    const pos: SourcePos = { file: this.file, line };
    const op = toOp(raw, this.ops.length, pos);
    this.push(op, pos);
    return op;
  }

  /** Append an already-normalized op (from code rather than a file). */
  push(op: Op, pos: SourcePos = {}): void {
    if (op.index <= this.lastIndex) {
      throw new HistoryError(`"index" ${op.index} is not greater than ${this.lastIndex} at ${describePos(this.lastIndexPos)}: expected indices to increase in file order`, pos);
    }
    this.lastIndex = op.index;
    this.lastIndexPos = pos;
    const position = this.ops.length;
    this.ops.push(op);
    const inFlight = this.open.get(op.process);
    if (op.type === 'invoke') {
      if (inFlight) {
        throw new HistoryError(
          `process ${JSON.stringify(op.process)} invokes ${op.f} while its ${inFlight.pair.f} from ${describePos(inFlight.pos)} is still in flight: expected a completion (ok, fail or info) first; a process runs one op at a time`,
          pos,
        );
      }
      const pair: PairedOp = { id: this.paired.length, process: op.process, f: op.f, invoke: op, outcome: 'info', invokePos: position, completePos: Infinity };
      this.paired.push(pair);
      this.open.set(op.process, { pair, pos });
      return;
    }
    if (!inFlight) {
      // Jepsen's nemesis (and other non-client processes) log faults as bare info records.
      if (op.type === 'info' && typeof op.process === 'string') return;
      throw new HistoryError(`${op.type} completion of ${op.f} for process ${JSON.stringify(op.process)} with no invocation in flight: expected an invoke for this process earlier`, pos);
    }
    if (inFlight.pair.f !== op.f) {
      throw new HistoryError(`${op.type} completion has f ${JSON.stringify(op.f)} but process ${JSON.stringify(op.process)} invoked ${JSON.stringify(inFlight.pair.f)} at ${describePos(inFlight.pos)}: expected the same f`, pos);
    }
    this.open.delete(op.process);
    inFlight.pair.complete = op;
    inFlight.pair.outcome = op.type;
    inFlight.pair.completePos = position;
  }

  /** Paired ops in invocation order; invocations still open stay `info` with no completion. */
  finish(): PairedOp[] {
    return this.paired;
  }
}

/** Validate and pair a whole in-memory history. */
export function pairHistory(history: History, file?: string): PairedOp[] {
  const b = new HistoryBuilder(file);
  for (const op of history) b.push(op);
  return b.finish();
}

function preview(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
