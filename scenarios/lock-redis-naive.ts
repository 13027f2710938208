/**
 * `lock-redis-naive`: the lock most tutorials teach (`SET key 1 NX EX ttl`, critical section, plain `DEL`) on one
 * Redis node, while the nemesis freezes whichever client holds the lock (SIGSTOP, as a long GC pause would) for
 * longer than the TTL. The key expires, a second client takes the lock and works, the first wakes up believing
 * it still holds it, finishes its read-modify-write on stale data and then DELetes the second client's lock.
 * Expected: invalid (overlapping holders, mutex model violated, lost updates).
 *
 * Sources: M. Kleppmann, "How to do distributed locking" (2016), the pause-while-holding case; the Redis docs'
 * "Disclaimer about consistency" (redis/redis-doc#2106) on why TTL locks need fencing.
 */
import { lockCheckers } from '../harness/checkers.js';
import { lockClient } from '../workloads/lock/client.js';
import { redisNaiveLock } from '../workloads/lock/redis-naive.js';
import { lockWorkload } from '../workloads/lock/workload.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'lock-redis-naive',
  description: 'SET NX EX + plain DEL on one Redis while the lock holder is frozen past the TTL (expected: invalid)',
  backend: { kind: 'redis', topology: 'single' },
  workload: lockWorkload({ holdMs: [20, 80] }),
  client: lockClient(redisNaiveLock(), { ttlMs: 1000 }),
  nemesis: {
    faults: [{ kind: 'pause', scope: 'client', target: 'holder' }],
    gapMs: [500, 1500],
    durationMs: [1500, 2500],
    quietMs: 500,
  },
  checkers: lockCheckers({ overlap: 'invalid' }),
  expect: 'invalid',
  defaults: { clients: 5, timeLimitMs: 15_000, opTimeoutMs: 1_000, clientMode: 'process' },
});
