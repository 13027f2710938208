/**
 * `mutex`: do the lock service's answers (acquire and release outcomes) fit one lock, per lock key? Each lock's
 * acquire/release client ops are checked with the linearizability checker and Knossos's `mutex` model (acquire is
 * legal only when free, release only when held).
 *
 * Every lock under test is a lease: a hold can end without a release (TTL expiry, session loss). Checking the raw
 * ops against the plain model would call every abandoned hold (the worker dropped its client after an `info`) a
 * violation the moment anyone acquires again, so by default (`leases: true`) each hold is tracked with its own
 * owner (ownerAware model, owner = process + the acquire's index) and ends as follows:
 * - release `ok` (value not `{wasHeld:false}`): the hold lasted until that release took effect, as recorded;
 * - release `ok` with `{wasHeld:false}`: the lease lapsed at some instant after the acquire was invoked and before
 *   the release completed: the release is checked as an op spanning that window;
 * - release `info`, or no release at all (abandoned, or the history ended): the hold may end at any instant after
 *   the acquire was invoked, or never (an implied release whose outcome is unknown).
 * A failed release ends nothing (the workload retries it). What remains a violation: a grant while another hold
 * provably persisted (its owner later released it successfully), or a successful release of a lock the process did
 * not hold. Whether two clients *believed* they held the lock at once is the `overlap` checker's question.
 *
 * With `leases: false` the ops are checked as recorded (a hold ends only by a release; `{wasHeld:false}` is a
 * release of a free lock), which is Knossos's strict reading.
 */
import type { History, Op, PairedOp, ProcessId } from '../history/types.js';
import { checkLinearizability } from '../linearizable/check.js';
import type { Model, ModelOp } from '../linearizable/model.js';
import { createModel } from '../linearizable/models/index.js';
import { combineVerdicts, type Anomaly, type CheckResult, type Verdict } from '../result.js';
import { bump, fields, isClient, keyOf, lockId, pairOrExplain, showLock } from './common.js';

/** Knobs of the mutex checker. */
export interface MutexCheckOptions {
  /** Wall-clock budget for all locks together, ms; when it runs out the undecided locks are 'unknown'. Default: none. */
  timeBudgetMs?: number;
  /** Holds may end without a release (lease expiry) as described above. Default true. */
  leases?: boolean;
  /** Memory one lock's search may use, bytes (passed to the linearizability checker). Default 1 GiB. */
  memoBudgetBytes?: number;
}

/** One lock's outcome, in stats.perLock. */
export interface MutexLockSummary {
  lock: unknown;
  /** Acquire/release ops given to the search (failed ops excluded, implied releases included). */
  ops: number;
  verdict: Verdict;
  reason?: string;
  steps: number;
}

/** What an op of the rebuilt per-lock history stands for. */
interface OpInfo {
  /** History index reported for it: its own invocation, or the record it stands in for. */
  orig: number;
  /** The real client process. */
  process: ProcessId;
  /** True for releases the checker implied (lease expiry); their rebuilt process id is not a real process. */
  synthetic: boolean;
  desc: string;
}

interface Slot {
  pos: number;
  /** Tie-break among records at one position: 0 = the original record, 1 = a release implied right after it. */
  sub: number;
  op: Omit<Op, 'index'>;
  info?: OpInfo;
}

interface Counts {
  acquires: number;
  releases: number;
  failedOps: number;
  holds: number;
  lapsedReleases: number;
  unreleasedHolds: number;
  strayReleases: number;
}

/**
 * Rebuild one lock's acquire/release history for the ownerAware mutex model: values become hold owners, implied
 * releases are inserted, failed ops dropped. Returns the history (dense indexes) and what each invocation means.
 */
function rebuild(ops: readonly PairedOp[], leases: boolean, counts: Counts): { history: Op[]; info: Map<number, OpInfo> } {
  const slots: Slot[] = [];
  const open = new Map<ProcessId, { acq: PairedOp; owner: string }>();

  const original = (p: PairedOp, owner: string, desc: string) => {
    slots.push({ pos: p.invokePos, sub: 0, op: { process: p.process, type: 'invoke', f: p.f, key: null, value: owner }, info: { orig: p.invoke.index, process: p.process, synthetic: false, desc } });
    if (p.complete) slots.push({ pos: p.completePos, sub: 0, op: { process: p.process, type: p.complete.type, f: p.f, key: null, value: p.complete.value ?? null } });
  };
  /** A release of `hold` that may take effect from just after its acquire's invocation; completed by `done` if given. */
  const implied = (hold: { acq: PairedOp; owner: string }, stand: number, desc: string, done?: PairedOp) => {
    const process = `lease@${hold.acq.invoke.index}`;
    slots.push({ pos: hold.acq.invokePos, sub: 1, op: { process, type: 'invoke', f: 'release', key: null, value: hold.owner }, info: { orig: stand, process: hold.acq.process, synthetic: true, desc } });
    if (done) slots.push({ pos: done.completePos, sub: 0, op: { process, type: 'ok', f: 'release', key: null, value: null } });
  };
  const unreleased = (hold: { acq: PairedOp; owner: string }) => {
    counts.unreleasedHolds++;
    if (!leases) return;
    const a = hold.acq.invoke.index;
    implied(hold, a, `end of process ${String(hold.acq.process)}'s hold from #${a} (never released; the lease may lapse at any instant after #${a}, or the lock stays held)`);
  };

  for (const p of ops) {
    if (p.f === 'acquire') counts.acquires++;
    else counts.releases++;
    if (p.outcome === 'fail') {
      counts.failedOps++;
      continue;
    }
    const held = open.get(p.process);
    if (p.f === 'acquire') {
      if (held) unreleased(held); // acquiring again without releasing: the earlier hold ends on its own, if at all
      const owner = `process ${String(p.process)} (acquire #${p.invoke.index})`;
      open.set(p.process, { acq: p, owner });
      counts.holds++;
      original(p, owner, p.outcome === 'ok' ? 'acquire -> ok' : 'acquire (outcome unknown: it may hold the lock)');
      continue;
    }
    // A release.
    if (!held) {
      const wasHeld = fields(p.complete?.value)?.wasHeld;
      if (p.outcome === 'ok' && wasHeld !== false) {
        counts.strayReleases++;
        original(p, `process ${String(p.process)} (holding nothing)`, 'release -> ok (this process held nothing: no granted or pending acquire)');
      }
      continue;
    }
    open.delete(p.process);
    const a = held.acq.invoke.index;
    const r = p.invoke.index;
    const lapsed = p.outcome === 'ok' && fields(p.complete?.value)?.wasHeld === false;
    if (lapsed) counts.lapsedReleases++;
    if (p.outcome === 'ok' && !lapsed) {
      original(p, held.owner, `release of the hold from #${a} -> ok`);
    } else if (!leases) {
      original(p, held.owner, lapsed ? `release of the hold from #${a} -> ok {wasHeld: false}` : `release of the hold from #${a} (outcome unknown)`);
    } else if (lapsed) {
      implied(held, r, `release #${r} by process ${String(p.process)} -> ok {wasHeld: false} (its hold from #${a} lapsed at some instant after #${a})`, p);
    } else {
      implied(held, r, `release #${r} by process ${String(p.process)} (outcome unknown; its hold from #${a} ended at some instant after #${a}, or is still held)`);
    }
  }
  for (const hold of open.values()) unreleased(hold);

  slots.sort((x, y) => x.pos - y.pos || x.sub - y.sub);
  const info = new Map<number, OpInfo>();
  const history = slots.map((s, index) => {
    if (s.info) info.set(index, s.info);
    return { ...s.op, index } as Op;
  });
  return { history, info };
}

/** The ownerAware mutex model with descriptions that speak of holds and original history indexes. */
function lockModel(info: Map<number, OpInfo>): Model {
  const base = createModel('mutex', { ownerAware: true });
  return {
    ...base,
    describe: (state) => (state === null ? 'free' : `held by ${typeof state === 'string' && state.startsWith('"') ? (JSON.parse(state) as string) : String(state)}`),
    describeOp: (op: ModelOp) => info.get(op.index)?.desc ?? base.describeOp?.(op) ?? op.f,
  };
}

/** Map the linearizability checker's anomaly (rebuilt indexes) back to the original history. */
function remap(a: Anomaly, key: unknown, info: Map<number, OpInfo>, leases: boolean): Anomaly {
  const orig = (i: unknown) => (typeof i === 'number' ? (info.get(i)?.orig ?? i) : i);
  const rewritten = a.explanation.replace(/#(\d+) process (\S+) /g, (whole, k: string) => {
    const inf = info.get(Number(k));
    if (!inf) return whole;
    return inf.synthetic ? '' : `#${inf.orig} process ${String(inf.process)} `;
  });
  const explanation = rewritten.charAt(0).toUpperCase() + rewritten.slice(1);
  const next = Array.isArray(a.next)
    ? (a.next as { index: number; process: ProcessId; op: string; legal: boolean }[]).map((n) => {
        const inf = info.get(n.index);
        return { ...n, index: orig(n.index), process: inf?.process ?? n.process, implied: inf?.synthetic ?? false };
      })
    : a.next;
  const { partition: _partition, ...rest } = a;
  return {
    ...rest,
    type: 'nonlinearizable',
    lock: key,
    ops: [...new Set(a.ops.map((i) => orig(i) as number))],
    blocking: orig(a.blocking),
    prefix: Array.isArray(a.prefix) ? (a.prefix as number[]).map(orig) : a.prefix,
    next,
    explanation: `Lock ${showLock(key)}: the lock service's answers cannot come from one lock (mutex model${leases ? ', where a hold not ended by a successful release may lapse at any time' : ', strict: holds end only by release'}). ${explanation}`,
  };
}

/** Check every lock's acquire/release ops against the mutex model (see the module comment for lease handling). */
export function checkMutexLinearizable(history: History, opts: MutexCheckOptions = {}): CheckResult {
  const started = performance.now();
  const leases = opts.leases ?? true;
  const deadline = opts.timeBudgetMs !== undefined ? started + opts.timeBudgetMs : Infinity;
  const counts: Counts = { acquires: 0, releases: 0, failedOps: 0, holds: 0, lapsedReleases: 0, unreleasedHolds: 0, strayReleases: 0 };
  const pairing = pairOrExplain(history);
  if (pairing.error !== undefined) {
    return {
      valid: 'unknown',
      checker: 'mutex',
      anomalies: [],
      stats: { locks: 0, malformed: 1 },
      explanation: `Cannot check the lock ops: the history is malformed: ${pairing.error}`,
    };
  }

  const byLock = new Map<string, { key: unknown; ops: PairedOp[] }>();
  for (const p of pairing.paired) {
    if (!isClient(p) || (p.f !== 'acquire' && p.f !== 'release')) continue;
    const key = keyOf(p);
    const id = lockId(key);
    let entry = byLock.get(id);
    if (!entry) byLock.set(id, (entry = { key: key ?? null, ops: [] }));
    entry.ops.push(p);
  }

  const anomalies: Anomaly[] = [];
  const verdicts: Verdict[] = [];
  const perLock: MutexLockSummary[] = [];
  const reasons = new Map<string, number>();
  let steps = 0;
  for (const { key, ops } of byLock.values()) {
    const { history: rebuilt, info } = rebuild(ops, leases, counts);
    const left = deadline - performance.now();
    if (left <= 0) {
      verdicts.push('unknown');
      perLock.push({ lock: key, ops: info.size, verdict: 'unknown', reason: 'time budget exhausted', steps: 0 });
      bump(reasons, 'time budget exhausted');
      continue;
    }
    const r = checkLinearizability(rebuilt, lockModel(info), {
      ...(Number.isFinite(left) ? { timeBudgetMs: left } : {}),
      ...(opts.memoBudgetBytes !== undefined ? { memoBudgetBytes: opts.memoBudgetBytes } : {}),
    });
    const s = r.stats as { steps?: number; unknownReason?: string };
    steps += s.steps ?? 0;
    verdicts.push(r.valid);
    const summary: MutexLockSummary = { lock: key, ops: info.size, verdict: r.valid, steps: s.steps ?? 0 };
    if (r.valid === 'unknown') {
      summary.reason = s.unknownReason ?? 'budget exhausted';
      bump(reasons, summary.reason);
    }
    perLock.push(summary);
    for (const a of r.anomalies) anomalies.push(remap(a, key, info, leases));
  }

  const valid = combineVerdicts(verdicts);
  const result: CheckResult = {
    valid,
    checker: 'mutex',
    anomalies,
    stats: {
      ms: Math.round((performance.now() - started) * 1000) / 1000,
      leases,
      locks: byLock.size,
      ...counts,
      nonlinearizableLocks: perLock.filter((l) => l.verdict === false).length,
      unknownLocks: perLock.filter((l) => l.verdict === 'unknown').length,
      steps,
      perLock,
    },
  };
  if (valid === false) {
    result.explanation = anomalies.map((a) => a.explanation).join('\n\n');
  } else if (valid === 'unknown') {
    const why = [...reasons.entries()].map(([r, n]) => `${r} (${n} of ${byLock.size} locks)`).join('; ');
    result.explanation = `Could not decide every lock: ${why}. Raise the time budget to search longer.`;
  } else if (byLock.size === 0) {
    result.explanation = 'no acquire or release ops: nothing to check';
  }
  return result;
}
