/**
 * Faults as data. A nemesis spec lists which faults may happen and how often; `planSchedule` turns it and the run's
 * seed into a fixed timeline of fault windows, so the same seed always applies the same pressure.
 */
import type { Rng } from '../seed.js';

/**
 * Which nodes (or clients) a fault hits; resolved when the fault starts, from a seeded pick. `holder` (client scope
 * only) is a client that holds a lock right then: the pause that outlives a lease.
 */
export type FaultTarget = 'one' | 'minority' | 'majority' | 'all' | 'leader' | 'primary' | 'holder';
export const FAULT_TARGETS: readonly FaultTarget[] = ['one', 'minority', 'majority', 'all', 'leader', 'primary', 'holder'];

/**
 * How a link fault cuts: refused connections, silence, slow replies, resets, a throttle (toxiproxy-api.md §9), or
 * `reply-loss`: requests still reach the server and run, but the connection closes when the first reply comes back.
 */
export type LinkMode = 'down' | 'blackhole' | 'latency' | 'reset' | 'bandwidth' | 'reply-loss';
export const LINK_MODES: readonly LinkMode[] = ['down', 'blackhole', 'latency', 'reset', 'bandwidth', 'reply-loss'];

/** One kind of fault the nemesis may inject. */
export type FaultSpec =
  | {
      kind: 'link';
      mode: LinkMode;
      /** `client`: all links of the chosen clients; `node`: all links into the chosen nodes. */
      scope: 'client' | 'node';
      target: FaultTarget;
      /** latency: added delay per direction (ms); the harness draws a fixed value per window from the seed. */
      latencyMs?: number;
      /** bandwidth: KB/s (0 = stall). */
      rateKBps?: number;
    }
  /** kill -9, then restart on the same data dir when the window ends. */
  | { kind: 'kill'; target: FaultTarget }
  /** SIGSTOP, then SIGCONT when the window ends; `scope: 'client'` freezes client processes (client mode `process`). */
  | { kind: 'pause'; target: FaultTarget; scope?: 'node' | 'client' };

export const FAULT_KINDS = ['link', 'kill', 'pause'] as const;

/** How often faults happen; all durations in milliseconds. */
export interface NemesisSpec {
  faults: FaultSpec[];
  /** Healthy gap before each fault window, drawn uniformly from [min, max]. */
  gapMs?: [number, number];
  /** Length of each fault window, drawn uniformly from [min, max]. */
  durationMs?: [number, number];
  /** After the final heal, wait this long before the final reads. */
  quietMs?: number;
}

export const NEMESIS_DEFAULTS = { gapMs: [1000, 3000] as [number, number], durationMs: [1000, 3000] as [number, number], quietMs: 2000 };

/** One planned fault window. `pick` seeds the choice of targets when the window starts. */
export interface ScheduledFault {
  id: number;
  startMs: number;
  endMs: number;
  fault: FaultSpec;
  pick: number;
  /** For latency faults: the delay drawn for this window. */
  latencyMs?: number;
}

/** Fault windows that start and end within `timeLimitMs`, one at a time, in order. Pure: same inputs, same plan. */
export function planSchedule(spec: NemesisSpec, rng: Rng, timeLimitMs: number): ScheduledFault[] {
  const out: ScheduledFault[] = [];
  if (spec.faults.length === 0) return out;
  const [gapMin, gapMax] = spec.gapMs ?? NEMESIS_DEFAULTS.gapMs;
  const [durMin, durMax] = spec.durationMs ?? NEMESIS_DEFAULTS.durationMs;
  let t = 0;
  for (let id = 0; ; id++) {
    const start = t + rng.int(gapMin, gapMax);
    const end = start + rng.int(durMin, durMax);
    const fault = rng.pick(spec.faults);
    const pick = rng.int(0, 2 ** 30);
    const latencyMs = fault.kind === 'link' && fault.mode === 'latency' ? (fault.latencyMs ?? rng.int(50, 500)) : undefined;
    if (end > timeLimitMs) break;
    out.push({ id, startMs: start, endMs: end, fault, pick, ...(latencyMs !== undefined ? { latencyMs } : {}) });
    t = end;
  }
  return out;
}

/** How many of `n` a target means: one = 1, minority = the largest count short of half, majority = more than half. */
export function targetCount(target: FaultTarget, n: number): number {
  switch (target) {
    case 'one':
    case 'leader':
    case 'primary':
    case 'holder':
      return Math.min(1, n);
    case 'minority':
      return Math.max(1, Math.ceil(n / 2) - 1);
    case 'majority':
      return Math.floor(n / 2) + 1;
    case 'all':
      return n;
  }
}

/** A short human label for logs and history ops, e.g. `link-down(node:minority)`. */
export function faultLabel(f: FaultSpec): string {
  return f.kind === 'link' ? `link-${f.mode}` : f.kind === 'pause' && f.scope === 'client' ? 'pause-client' : f.kind;
}
