/** The lock workload, its client adapter, the six lock backends and the guarded resource. */
export { lockWorkload, resolveLockOptions, lockNames, LockOptionsError, LOCK_DEFAULTS, ELEMENT_STRIDE, type LockWorkloadOptions } from './workload.js';
export { lockClient, type LockClientOptions } from './client.js';
export { GuardedResource, type ResourceRecord, type ResourceReply, type ResourceRequest } from './guarded-resource.js';
export { startResourceServer, type ResourceServer } from './resource-server.js';
export type { LockBackend, LockContext, LockGrant, LockSession } from './types.js';
export { redisNaiveLock } from './redis-naive.js';
export { redisTokenLock } from './redis-token.js';
export { redlockLock } from './redlock.js';
export { etcdLock } from './etcd.js';
export { zookeeperLock } from './zookeeper.js';
export { pgAdvisoryLock } from './pg-advisory.js';
