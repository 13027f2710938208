/**
 * `lock-redis-token-pause`: the correct single-node Redis lock (`SET key <random> NX PX ttl`, compare-and-delete
 * release, a fencing token from `INCR` in the same script) with the holder frozen past its TTL. The lock itself
 * cannot stop a second holder: belief intervals overlap and the mutex model fails. But the guarded resource
 * checks fencing tokens, so the stale holder's late read or write is rejected and the data stays consistent.
 * Expected: invalid overall (overlap, mutex), with fencing valid and no lost updates.
 *
 * Sources: M. Kleppmann, "How to do distributed locking" (2016), fencing tokens; bsm/redislock#94 for INCR in
 * the acquire script; the Redis docs' consistency disclaimer (redis/redis-doc#2106).
 */
import { lockCheckers } from '../harness/checkers.js';
import { lockClient } from '../workloads/lock/client.js';
import { redisTokenLock } from '../workloads/lock/redis-token.js';
import { lockWorkload } from '../workloads/lock/workload.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'lock-redis-token-pause',
  description: 'Token lock on one Redis, holder frozen past the TTL: holders overlap, fencing keeps the resource consistent (expected: invalid lock, valid resource)',
  backend: { kind: 'redis', topology: 'single' },
  workload: lockWorkload({ holdMs: [20, 80], fencing: true }),
  client: lockClient(redisTokenLock(), { ttlMs: 1000 }),
  nemesis: {
    faults: [{ kind: 'pause', scope: 'client', target: 'holder' }],
    gapMs: [500, 1500],
    durationMs: [1500, 2500],
    quietMs: 500,
  },
  checkers: lockCheckers({ overlap: 'invalid', fencing: 'valid', 'lost-update': 'valid' }),
  expect: 'invalid',
  defaults: { clients: 5, timeLimitMs: 15_000, opTimeoutMs: 1_000, clientMode: 'process' },
});
