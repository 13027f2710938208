/**
 * What a user scenario file imports (`import { defineScenario, ... } from 'faultline/scenarios'`): the scenario
 * API, the built-in workloads and clients to reuse, and the types to write a client for one's own system.
 */
export { defineScenario, isScenario, RUN_DEFAULTS, ScenarioError } from './define.js';
export type { Scenario, ScenarioConfig, RunDefaults, CustomSystem } from './define.js';
export type { BackendSpec, Endpoint, RedisPersistence } from '../harness/backends/types.js';
export type { NemesisSpec, FaultSpec, FaultTarget, LinkMode } from '../harness/faults/schedule.js';
export { lockCheckers, LOCK_CHECKER_NAMES, type CheckerSpec, type LockCheckerName } from '../harness/checkers.js';
export type { Client, ClientContext, ClientFactory, LastOp, OpGenerator, OpOutcome, OpRequest, RunningServices, ServiceContext, Workload } from '../workloads/types.js';
export { registerWorkload, redisRegisterClient, etcdRegisterClient, parseRegisterValue, type RegisterOptions } from '../workloads/register/index.js';
export {
  lockWorkload,
  lockClient,
  redisNaiveLock,
  redisTokenLock,
  redlockLock,
  etcdLock,
  zookeeperLock,
  pgAdvisoryLock,
  type LockWorkloadOptions,
  type LockClientOptions,
  type LockBackend,
  type LockContext,
  type LockGrant,
  type LockSession,
} from '../workloads/lock/index.js';
export { Rng } from '../harness/seed.js';
