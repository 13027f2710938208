/**
 * `lost-update`: did the lock keep the guarded resource's read-modify-writes serial (Jepsen's lock-set)?
 *
 * The resource is a counter and a set kept as versions: version 0 is empty, every accepted write creates a new
 * version whose parent is the version its writer read (`basedOn`) and whose set is the parent's plus one element.
 * Replaying the accepted writes per lock in the order the resource applied them:
 * - `lost-update`: a write based on anything but the current version replaced the updates made since the version
 *   it read (they are no longer in the chain of versions);
 * - `lost-element`: at the end, elements whose writes the resource accepted, or whose write a client saw `ok`,
 *   missing from the final version's set.
 * Records it cannot replay (an unknown `basedOn`, a version created twice, missing fields) make that lock 'unknown'
 * with the reason, never an exception.
 */
import type { History, Op, ProcessId } from '../history/types.js';
import { canonical, show } from '../linearizable/models/value.js';
import { combineVerdicts, type Anomaly, type CheckResult, type Verdict } from '../result.js';
import { abbreviate, fields, label, lockId, preview, resourceEntries, showLock, type MalformedRecord, type ResourceEntry } from './common.js';

/** Knobs of the lost-update checker. */
export interface LostUpdateOptions {
  /** lost-update anomalies reported (all are counted in stats.lostUpdates). Default 100. */
  maxAnomalies?: number;
  /** Elements or writes named in one explanation before "and N more". Default 10. */
  maxListed?: number;
}

/** One lock's figures, in stats.perLock. */
export interface LostUpdateLockSummary {
  lock: unknown;
  writesAccepted: number;
  writesRejected: number;
  acknowledgedWrites: number;
  finalVersion: number;
  finalCounter: number;
  expectedCounter: number;
  lostUpdates: number;
  lostElements: number;
  /** Why the lock could not be checked (its figures then stop at the record that broke the replay). */
  undecided?: string;
}

interface Version {
  parent: number;
  depth: number;
  add?: unknown;
  entry?: ResourceEntry;
}

interface LockReplay {
  key: unknown;
  versions: Map<number, Version>;
  current: number;
  writesAccepted: number;
  writesRejected: number;
  lostUpdates: number;
  /** Elements expected in the final set, by canonical text: the value and the records that added it. */
  expected: Map<string, { value: unknown; records: number[]; resource: boolean }>;
  acknowledged: number;
  undecided?: string;
}

function newLock(key: unknown): LockReplay {
  return { key, versions: new Map([[0, { parent: -1, depth: 0 }]]), current: 0, writesAccepted: 0, writesRejected: 0, lostUpdates: 0, expected: new Map(), acknowledged: 0 };
}

function expect(l: LockReplay, value: unknown, index: number, resource: boolean): void {
  const k = canonical(value);
  const e = l.expected.get(k);
  if (e) {
    e.records.push(index);
    e.resource ||= resource;
  } else l.expected.set(k, { value, records: [index], resource });
}

function describeWrite(v: Version, version: number): string {
  const e = v.entry!;
  return `#${e.index} (version ${version}, ${label('worker', e.worker)}, add ${show(v.add)})`;
}

/** Versions on `from`'s chain that are not on `to`'s: what a write based on `to` replaced when `from` was current. */
function replaced(l: LockReplay, from: number, to: number): number[] {
  const out: number[] = [];
  let a = from;
  let b = to;
  while (a !== b) {
    const va = l.versions.get(a)!;
    const vb = l.versions.get(b)!;
    if (va.depth >= vb.depth) {
      out.push(a);
      a = va.parent;
    } else b = vb.parent;
  }
  return out.reverse();
}

const isVersion = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Replay the resource's accepted writes per lock and report lost updates and lost elements. */
export function checkLostUpdates(history: History, opts: LostUpdateOptions = {}): CheckResult {
  const maxAnomalies = opts.maxAnomalies ?? 100;
  const maxListed = opts.maxListed ?? 10;
  const { entries, malformed: unreadable } = resourceEntries(history);
  const malformed: MalformedRecord[] = [];
  const locks = new Map<string, LockReplay>();
  const lockOf = (key: unknown): LockReplay => {
    const id = lockId(key);
    let l = locks.get(id);
    if (!l) locks.set(id, (l = newLock(key ?? null)));
    return l;
  };
  const undecide = (l: LockReplay, m: MalformedRecord) => {
    malformed.push(m);
    l.undecided ??= m.problem;
  };
  // A resource write record we cannot read leaves its lock undecided; unreadable reads do not matter here.
  for (const m of unreadable) if (m.f === 'write') undecide(lockOf(m.key), m);

  const anomalies: Anomaly[] = [];
  let writeRecords = 0;
  for (const e of entries) {
    if (e.f !== 'write') continue;
    writeRecords++;
    const l = lockOf(e.key);
    if (l.undecided !== undefined) continue;
    if (!e.accepted) {
      l.writesRejected++;
      continue;
    }
    const { version, basedOn, add } = e.value;
    const bad = (problem: string) => undecide(l, { index: e.index, problem: `resource write #${e.index} on lock ${showLock(e.key)}: ${problem}`, f: 'write', key: e.key, lock: e.lock });
    if (!isVersion(version) || version === 0) {
      bad(`accepted, but "version" is ${preview(version)}: expected the new version's number (a positive integer)`);
      continue;
    }
    if (l.versions.has(version)) {
      bad(`creates version ${version}, which ${version === 0 ? 'is the initial empty state' : `was already created by #${l.versions.get(version)!.entry!.index}`}`);
      continue;
    }
    if (!isVersion(basedOn) || !l.versions.has(basedOn)) {
      bad(`"basedOn" is ${preview(basedOn)}, which is not a version the resource had created: expected 0 or the version of an earlier accepted write`);
      continue;
    }
    if (add === undefined) {
      bad('accepted, but has no "add": expected the element the write added');
      continue;
    }
    l.writesAccepted++;
    if (basedOn !== l.current) {
      l.lostUpdates++;
      const lost = replaced(l, l.current, basedOn);
      if (anomalies.length < maxAnomalies) {
        const victims = lost.map((v) => ({ version: v, ...l.versions.get(v)! }));
        anomalies.push({
          type: 'lost-update',
          ops: [e.index, ...victims.map((v) => v.entry!.index)],
          explanation:
            `Lock ${showLock(e.key)}: write #${e.index} (${label('worker', e.worker)}, token ${e.token === null ? 'none' : e.token}, add ${show(add)}) was based on version ${basedOn}, ` +
            `but version ${l.current} was current, so it overwrote ${lost.length} update${lost.length === 1 ? '' : 's'}: ` +
            `${abbreviate(victims.map((v) => describeWrite(v, v.version)), maxListed)}. ` +
            (lost.length === 1
              ? 'Its writer read the resource before that write and wrote back after it: the lock did not keep them apart.'
              : 'Its writer read the resource before those writes and wrote back after them: the lock did not keep them apart.'),
          lock: e.key,
          write: e.index,
          worker: e.worker,
          token: e.token,
          add,
          basedOn,
          current: l.current,
          version,
          overwritten: victims.map((v) => ({ index: v.entry!.index, version: v.version, worker: v.entry!.worker, add: v.add })),
        });
      }
    }
    const parent = l.versions.get(basedOn)!;
    l.versions.set(version, { parent: basedOn, depth: parent.depth + 1, add, entry: e });
    l.current = version;
    expect(l, add, e.index, true);
  }

  // Writes acknowledged to clients: their elements must survive too.
  const lastInvoke = new Map<ProcessId, Op>();
  for (const op of history) {
    if (typeof op.process !== 'number') continue;
    if (op.type === 'invoke') {
      lastInvoke.set(op.process, op);
      continue;
    }
    if (op.type !== 'ok' || op.f !== 'write') continue;
    const inv = lastInvoke.get(op.process);
    const add = fields(op.value)?.add ?? (inv?.f === 'write' ? fields(inv.value)?.add : undefined);
    if (add === undefined) continue;
    const l = lockOf(op.key !== undefined ? op.key : inv?.key);
    l.acknowledged++;
    expect(l, add, op.index, false);
  }

  const perLock: LostUpdateLockSummary[] = [];
  let lostElementCount = 0;
  for (const l of locks.values()) {
    if (l.undecided === undefined && l.acknowledged > 0 && l.writesAccepted + l.writesRejected === 0) {
      l.undecided = `lock ${showLock(l.key)}: ${l.acknowledged} write${l.acknowledged === 1 ? ' was' : 's were'} acknowledged to clients but the resource logged no write for it: cannot replay`;
    }
    const finalV = l.versions.get(l.current)!;
    const summary: LostUpdateLockSummary = {
      lock: l.key,
      writesAccepted: l.writesAccepted,
      writesRejected: l.writesRejected,
      acknowledgedWrites: l.acknowledged,
      finalVersion: l.current,
      finalCounter: finalV.depth,
      expectedCounter: l.writesAccepted,
      lostUpdates: l.lostUpdates,
      lostElements: 0,
    };
    perLock.push(summary);
    if (l.undecided !== undefined) {
      summary.undecided = l.undecided;
      continue;
    }
    const present = new Set<string>();
    for (let v = l.current; v !== 0; v = l.versions.get(v)!.parent) present.add(canonical(l.versions.get(v)!.add));
    const lost = [...l.expected.entries()].filter(([k]) => !present.has(k)).map(([, e]) => e);
    summary.lostElements = lost.length;
    lostElementCount += lost.length;
    if (lost.length === 0) continue;
    const unlogged = lost.filter((e) => !e.resource).length;
    anomalies.push({
      type: 'lost-element',
      ops: [...new Set(lost.flatMap((e) => e.records))].sort((a, b) => a - b),
      explanation:
        `Lock ${showLock(l.key)}: ${lost.length} element${lost.length === 1 ? '' : 's'} added by accepted or acknowledged writes ${lost.length === 1 ? 'is' : 'are'} missing from the final set ` +
        `(version ${l.current}, counter ${finalV.depth} after ${l.writesAccepted} accepted writes): ` +
        `${abbreviate(lost.map((e) => `${show(e.value)} (#${e.records[0]})`), maxListed)}. ` +
        (unlogged > 0 ? `${unlogged} of them ${unlogged === 1 ? 'was' : 'were'} acknowledged to a client but never logged by the resource. ` : '') +
        (unlogged < lost.length
          ? `Later writes based on older versions replaced ${lost.length === 1 ? 'it' : 'them'}: mutual exclusion failed.`
          : `The resource never applied ${lost.length === 1 ? 'it' : 'them'}.`),
      lock: l.key,
      elements: lost.map((e) => e.value),
      finalVersion: l.current,
    });
  }

  const undecided = perLock.filter((s) => s.undecided !== undefined);
  const lostUpdates = perLock.reduce((n, s) => n + s.lostUpdates, 0);
  const verdicts: Verdict[] = [anomalies.length === 0];
  if (undecided.length > 0) verdicts.push('unknown');
  const valid = combineVerdicts(verdicts);
  const sum = (k: keyof LostUpdateLockSummary) => perLock.reduce((n, s) => n + (s[k] as number), 0);
  const result: CheckResult = {
    valid,
    checker: 'lost-update',
    anomalies,
    stats: {
      locks: locks.size,
      writeRecords,
      writesAccepted: sum('writesAccepted'),
      writesRejected: sum('writesRejected'),
      acknowledgedWrites: sum('acknowledgedWrites'),
      finalCounter: sum('finalCounter'),
      expectedCounter: sum('expectedCounter'),
      lostUpdates,
      lostElements: lostElementCount,
      malformed: malformed.length,
      undecidedLocks: undecided.length,
      ...(malformed.length > 0 ? { malformedRecords: malformed.slice(0, 20).map(({ index, problem }) => ({ index, problem })) } : {}),
      perLock,
    },
  };
  const unsure = undecided.length > 0 ? `${undecided.length} lock${undecided.length === 1 ? '' : 's'} could not be replayed: ${abbreviate(undecided.map((s) => s.undecided!), 3)}` : '';
  if (valid === false) {
    result.explanation = `${lostUpdates} lost update${lostUpdates === 1 ? '' : 's'} and ${lostElementCount} lost element${lostElementCount === 1 ? '' : 's'}.${unsure ? ` Also, ${unsure}.` : ''}`;
  } else if (valid === 'unknown') {
    result.explanation = `Could not decide: ${unsure}.`;
  } else if (locks.size === 0) {
    result.explanation = 'no resource writes: nothing to check';
  }
  return result;
}
