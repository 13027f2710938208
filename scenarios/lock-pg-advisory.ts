/**
 * `lock-pg-advisory`: PostgreSQL session-level advisory locks (`pg_advisory_lock` / `pg_advisory_unlock` on one
 * session) while the nemesis slows, silences and stalls client links. A session lock has no TTL: it is held until
 * unlocked or until the server notices the session is gone, so partitions cost liveness (waiters time out) but
 * never grant it twice. Expected: valid.
 *
 * Deliberately not included: faults that tear the connection down (`down`, `reset`). The server then ends the
 * session and frees its locks at once, while the client learns of it only at its next call: a holder in the middle
 * of its critical section keeps believing for that long (lock-safety.md §9).
 *
 * Sources: PostgreSQL documentation, "Advisory Locks" (explicit locking chapter).
 */
import { lockCheckers } from '../harness/checkers.js';
import { lockClient } from '../workloads/lock/client.js';
import { pgAdvisoryLock } from '../workloads/lock/pg-advisory.js';
import { lockWorkload } from '../workloads/lock/workload.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'lock-pg-advisory',
  description: 'PostgreSQL advisory locks under client link latency, blackholes and stalls (expected: valid)',
  backend: { kind: 'postgres' },
  workload: lockWorkload({ holdMs: [10, 50] }),
  client: lockClient(pgAdvisoryLock(), { ttlMs: 2000 }),
  nemesis: {
    faults: [
      { kind: 'link', mode: 'latency', scope: 'client', target: 'minority', latencyMs: 200 },
      { kind: 'link', mode: 'blackhole', scope: 'client', target: 'one' },
      { kind: 'link', mode: 'bandwidth', scope: 'client', target: 'one', rateKBps: 0 },
    ],
    gapMs: [500, 1500],
    durationMs: [1000, 3000],
    quietMs: 1000,
  },
  checkers: lockCheckers(),
  expect: 'valid',
  defaults: { clients: 5, timeLimitMs: 15_000, opTimeoutMs: 1_500 },
});
