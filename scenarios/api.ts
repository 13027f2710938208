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
export { TXN_CHECKER_NAMES, ATOMICITY_CHECKER_NAMES, checkerLabel } from '../harness/checkers.js';
export { listAppendWorkload, type ListAppendOptions, type KeyDist } from '../workloads/list-append/generator.js';
export { rwRegisterWorkload, type RwRegisterOptions } from '../workloads/rw-register/generator.js';
export { bankWorkload, type BankWorkloadOptions } from '../workloads/bank/generator.js';
export { BANK_DEFAULTS, initialBalances, type BankSetup } from '../workloads/bank/accounts.js';
export { setWorkload, type SetWorkloadOptions } from '../workloads/set/generator.js';
export { PG_ISOLATIONS, type PgIsolation, type PgTxnOptions } from '../workloads/txn-pg.js';
export { pgListAppendClient } from '../workloads/list-append/pg.js';
export { pgRwRegisterClient } from '../workloads/rw-register/pg.js';
export { pgBankClient, type PgBankOptions } from '../workloads/bank/pg.js';
export { pgSetClient } from '../workloads/set/pg.js';
export { redisListAppendClient, type RedisListAppendOptions } from '../workloads/list-append/redis.js';
export { etcdListAppendClient, type EtcdListAppendOptions } from '../workloads/list-append/etcd.js';
export { redisBankClient, type RedisBankKind, type RedisBankOptions } from '../workloads/bank/redis.js';
export { etcdBankClient } from '../workloads/bank/etcd.js';
