/**
 * The public API for scenarios: a scenario says which system to start, which workload and client drive it, which
 * faults to inject, which checkers judge the history and what outcome to expect. Built-in scenarios and users'
 * `.ts` files use the same `defineScenario`.
 */
import * as v from 'valibot';
import type { BackendSpec, Endpoint } from '../harness/backends/types.js';
import { CHECKER_NAMES, validateCheckers, type CheckerSpec } from '../harness/checkers.js';
import type { NemesisSpec } from '../harness/faults/schedule.js';
import type { ClientFactory, Workload } from '../workloads/types.js';
import { backendSchema, nemesisSchema, oneOf, parseOrThrow, runDefaultsSchema, ScenarioError, strict } from './validate.js';

/** Run knobs a scenario may preset and the CLI may override. */
export interface RunDefaults {
  /** Concurrent client workers. */
  clients: number;
  /** Wall-clock length of the workload phase (before the final heal). */
  timeLimitMs: number;
  /** Stop after this many client ops, if reached before the time limit. */
  opLimit?: number;
  /** An op that has not answered by then is recorded as `info` (unknown) and its worker reconnects. */
  opTimeoutMs: number;
  /** Seeded pause between a worker's ops, [min, max] ms (default none). */
  thinkMs?: [number, number];
  /** `async` (default): clients are async workers in the harness; `process`: one OS process per client, so the nemesis can freeze a client (pause with scope client). */
  clientMode?: 'async' | 'process';
}

export const RUN_DEFAULTS: RunDefaults = { clients: 5, timeLimitMs: 20_000, opTimeoutMs: 1_000 };

/** The user's own system, when it is not one of the built-in backends: start it, say where its nodes listen. */
export interface CustomSystem {
  start(ctx: { logDir: string; tmpRoot: string; log(line: string): void }): Promise<{
    nodes: { name: string; endpoint: Endpoint }[];
    stop(): Promise<void>;
  }>;
}

/** Everything `defineScenario` accepts. Exactly one of `backend` and `system`. */
export interface ScenarioConfig {
  name: string;
  description?: string;
  /** A built-in backend the harness starts as local processes (or containers). */
  backend?: BackendSpec;
  /** Or the user's own system. Process faults need `backend`; link faults work for both. */
  system?: CustomSystem;
  workload: Workload<unknown>;
  client: ClientFactory;
  /** Faults to inject; omit for a fault-free run. */
  nemesis?: NemesisSpec;
  checkers: CheckerSpec[];
  /** What a correct outcome is: `valid`, or `invalid` for scenarios that demonstrate a known bug. */
  expect?: 'valid' | 'invalid';
  defaults?: Partial<RunDefaults>;
}

const SCENARIO_BRAND = Symbol.for('faultline.scenario');

/** A validated scenario; `faultline run` accepts only these (the brand survives two copies of the package). */
export interface Scenario extends Readonly<Omit<ScenarioConfig, 'expect' | 'defaults'>> {
  readonly expect: 'valid' | 'invalid';
  readonly defaults: RunDefaults;
  readonly [SCENARIO_BRAND]: true;
}

const withFns = (keys: string[], what: string) =>
  v.custom<object>((x) => typeof x === 'object' && x !== null && keys.every((k) => typeof (x as Record<string, unknown>)[k] === 'function'), `expected ${what} with ${keys.map((k) => `${k}()`).join(' and ')}`);

const scenarioSchema = strict({
  name: v.pipe(v.string('expected a string'), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-" (it names the run directory)')),
  description: v.optional(v.string('expected a string')),
  backend: v.optional(backendSchema),
  system: v.optional(withFns(['start'], 'an object')),
  workload: withFns(['generator', 'finalOps'], 'a workload (e.g. registerWorkload())'),
  client: withFns(['open'], 'a client factory (e.g. redisRegisterClient())'),
  nemesis: v.optional(nemesisSchema),
  checkers: v.pipe(
    v.array(v.looseObject({ checker: oneOf(CHECKER_NAMES), expect: v.optional(oneOf(['valid', 'invalid'] as const)) }), 'expected a list of checkers'),
    v.minLength(1, 'expected at least one checker'),
  ),
  expect: v.optional(oneOf(['valid', 'invalid'] as const)),
  defaults: v.optional(runDefaultsSchema),
});

/** Validates a scenario (throwing `ScenarioError` with every problem) and fills in defaults. */
export function defineScenario(config: ScenarioConfig): Scenario {
  parseOrThrow(scenarioSchema, config, `invalid scenario${typeof config?.name === 'string' ? ` "${config.name}"` : ''}:`);
  if ((config.backend === undefined) === (config.system === undefined)) {
    throw new ScenarioError(`invalid scenario "${config.name}": give exactly one of "backend" (a built-in system) or "system" (your own)`);
  }
  if (config.nemesis?.faults.some((f) => f.kind === 'pause' && f.scope === 'client') && config.defaults?.clientMode !== 'process') {
    throw new ScenarioError(`invalid scenario "${config.name}": pausing clients (pause with scope "client") needs defaults.clientMode "process"`);
  }
  if (config.nemesis?.faults.some((f) => f.kind !== 'kill' && f.target === 'holder' && f.scope !== 'client')) {
    throw new ScenarioError(`invalid scenario "${config.name}": target "holder" names a client holding a lock: use it with scope "client"`);
  }
  if (config.system && config.nemesis?.faults.some((f) => f.kind !== 'link')) {
    throw new ScenarioError(`invalid scenario "${config.name}": kill and pause faults need a built-in "backend"; a custom "system" supports link faults only`);
  }
  try {
    validateCheckers(config.checkers);
  } catch (err) {
    throw new ScenarioError(`invalid scenario "${config.name}": ${(err as Error).message}`);
  }
  return Object.freeze({
    ...config,
    expect: config.expect ?? 'valid',
    defaults: { ...RUN_DEFAULTS, ...config.defaults },
    [SCENARIO_BRAND]: true as const,
  });
}

/** True for values made by `defineScenario` (from any copy of faultline). */
export function isScenario(x: unknown): x is Scenario {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[SCENARIO_BRAND] === true;
}

export { ScenarioError };
