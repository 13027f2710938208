/**
 * Shared pieces of the lock checkers: lock keys, pairing that reports bad input instead of throwing, the guarded
 * resource's records, and small formatting helpers for explanations.
 *
 * The history format (written by workloads/lock): client ops carry the lock name in `key`; the harness-owned
 * resource logs every read and write it applied as a bare `info` record of process `"resource"`; nemesis records
 * are ignored by every lock checker.
 */
import { HistoryError, type History, type Op, type PairedOp } from '../history/types.js';
import { pairHistory } from '../history/validate.js';
import { showKey } from '../linearizable/models/common.js';
import { canonical } from '../linearizable/models/value.js';

/** The process name the guarded resource logs under. */
export const RESOURCE_PROCESS = 'resource';

/** Canonical text of a lock key: the map key for "same lock". */
export function lockId(key: unknown): string {
  return canonical(key === undefined ? null : key);
}

/** A lock key for messages: `lock-0`, or JSON for anything that is not a plain name. */
export function showLock(key: unknown): string {
  return showKey(key === undefined ? null : key);
}

/** The lock an op names: the invocation's key, else the completion's. */
export function keyOf(p: PairedOp): unknown {
  return p.invoke.key !== undefined ? p.invoke.key : p.complete?.key;
}

/** Client workers have integer process ids; strings (`nemesis`, `resource`) are not clients. */
export function isClient(p: { process: unknown }): boolean {
  return typeof p.process === 'number';
}

/** Pair the history, or say why it cannot be paired (the checkers then answer 'unknown' instead of throwing). */
export function pairOrExplain(history: History): { paired: PairedOp[]; error?: undefined } | { paired?: undefined; error: string } {
  try {
    return { paired: pairHistory(history) };
  } catch (e) {
    if (e instanceof HistoryError) return { error: e.message };
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** Object fields of a record's value, or undefined when the value is not a plain object. */
export function fields(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A fencing token: a finite number; null/undefined = the backend has none; anything else is malformed. */
export function readToken(v: unknown): { ok: true; token: number | null } | { ok: false } {
  if (v === null || v === undefined) return { ok: true, token: null };
  if (typeof v === 'number' && Number.isFinite(v)) return { ok: true, token: v };
  return { ok: false };
}

/** One record of the guarded resource, checked for the fields every lock checker needs. */
export interface ResourceEntry {
  /** Position in the history array. */
  pos: number;
  /** The record's history index. */
  index: number;
  f: 'read' | 'write';
  key: unknown;
  lock: string;
  worker: unknown;
  token: number | null;
  fenced: boolean | undefined;
  accepted: boolean;
  value: Record<string, unknown>;
}

/** A record a checker could not use, and why. */
export interface MalformedRecord {
  index: number;
  problem: string;
  /** The record's f and lock, so a checker can tell which lock it leaves undecided. */
  f: unknown;
  key: unknown;
  lock: string;
}

/** The guarded resource's records in history order; records it cannot read are listed in `malformed`. */
export function resourceEntries(history: History): { entries: ResourceEntry[]; malformed: MalformedRecord[] } {
  const entries: ResourceEntry[] = [];
  const malformed: MalformedRecord[] = [];
  history.forEach((op: Op, pos) => {
    if (op.process !== RESOURCE_PROCESS) return;
    const bad = (problem: string) => malformed.push({ index: op.index, problem: `resource record #${op.index}: ${problem}`, f: op.f, key: op.key, lock: lockId(op.key) });
    if (op.type !== 'info') return void bad(`type ${JSON.stringify(op.type)}: expected a bare "info" record`);
    if (op.f !== 'read' && op.f !== 'write') return void bad(`f ${JSON.stringify(op.f)}: expected "read" or "write"`);
    const v = fields(op.value);
    if (!v) return void bad(`value ${preview(op.value)}: expected an object like {"worker":2,"token":34,"accepted":true,...}`);
    if (typeof v.accepted !== 'boolean') return void bad(`"accepted" is ${preview(v.accepted)}: expected true or false`);
    const t = readToken(v.token);
    if (!t.ok) return void bad(`"token" is ${preview(v.token)}: expected a number or null`);
    entries.push({
      pos,
      index: op.index,
      f: op.f,
      key: op.key,
      lock: lockId(op.key),
      worker: v.worker,
      token: t.token,
      fenced: typeof v.fenced === 'boolean' ? v.fenced : undefined,
      accepted: v.accepted,
      value: v,
    });
  });
  return { entries, malformed };
}

/** Short JSON of a value for messages. */
export function preview(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** `a, b, c and 7 more`: a list for an explanation, cut after `max` items. */
export function abbreviate(items: readonly string[], max = 10): string {
  if (items.length === 0) return 'none';
  const shown = items.slice(0, max);
  const rest = items.length - shown.length;
  if (rest > 0) return `${shown.join(', ')} and ${rest} more`;
  if (shown.length === 1) return shown[0]!;
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

/** Nanoseconds to milliseconds, rounded to the microsecond. */
export function nsToMs(ns: number): number {
  return Math.round(ns / 1000) / 1000;
}

/** `"process 3"` / `"worker 2"` style labels, tolerant of odd values. */
export function label(what: string, v: unknown): string {
  return `${what} ${typeof v === 'number' || typeof v === 'string' ? String(v) : preview(v)}`;
}

/** Increment a counter in a map. */
export function bump<K>(m: Map<K, number>, k: K, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

/** Put a value in a list in a map. */
export function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
