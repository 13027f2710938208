/**
 * `lock-redis-token`: the correct single-node Redis lock under reply latency that always stays below the TTL, with
 * fencing off so the lock alone must protect the data. A reply that arrives late shortens the holder's usable
 * lease but never past its critical section, so mutual exclusion holds. Expected: valid.
 *
 * Sources: the Redis docs' single-instance lock pattern (SET NX PX + compare-and-delete); Kleppmann (2016) on why
 * the bound on delay is what makes a lease lock safe.
 */
import { lockCheckers } from '../harness/checkers.js';
import { lockClient } from '../workloads/lock/client.js';
import { redisTokenLock } from '../workloads/lock/redis-token.js';
import { lockWorkload } from '../workloads/lock/workload.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'lock-redis-token',
  description: 'Token lock on one Redis under reply latency below the TTL (expected: valid)',
  backend: { kind: 'redis', topology: 'single' },
  workload: lockWorkload({ holdMs: [10, 50] }),
  client: lockClient(redisTokenLock(), { ttlMs: 3000 }),
  nemesis: {
    faults: [
      { kind: 'link', mode: 'latency', scope: 'client', target: 'minority' },
      { kind: 'link', mode: 'latency', scope: 'node', target: 'all' },
    ],
    gapMs: [500, 1500],
    durationMs: [1000, 3000],
    quietMs: 500,
  },
  checkers: lockCheckers(),
  expect: 'valid',
  defaults: { clients: 5, timeLimitMs: 15_000, opTimeoutMs: 1_500 },
});
