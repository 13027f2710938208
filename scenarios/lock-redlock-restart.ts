/**
 * `lock-redlock-restart`: Redlock over three independent Redis nodes without persistence, while the nemesis kills
 * nodes with kill -9 and restarts them at once. A restarted node has forgotten every lock key, so the keys of the
 * current holder may no longer form a majority and a second client collects one of its own. Expected: invalid.
 *
 * Sources: M. Kleppmann, "How to do distributed locking" (2016), the crash-and-restart case; antirez, "Is Redlock
 * safe?" (antirez.com/news/101), which answers with delayed restarts or fsync (absent here on purpose).
 */
import { lockCheckers } from '../harness/checkers.js';
import { lockClient } from '../workloads/lock/client.js';
import { redlockLock } from '../workloads/lock/redlock.js';
import { lockWorkload } from '../workloads/lock/workload.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'lock-redlock-restart',
  description: 'Redlock on 3 Redis nodes, nodes killed and restarted at once without persistence (expected: invalid)',
  backend: { kind: 'redis', topology: 'independent', nodes: 3 },
  workload: lockWorkload({ holdMs: [300, 900] }),
  client: lockClient(redlockLock(), { ttlMs: 5000 }),
  nemesis: {
    faults: [
      { kind: 'kill', target: 'majority' },
      { kind: 'kill', target: 'one' },
    ],
    gapMs: [500, 1500],
    durationMs: [100, 300],
    quietMs: 500,
  },
  checkers: lockCheckers({ overlap: 'invalid' }),
  expect: 'invalid',
  defaults: { clients: 5, timeLimitMs: 20_000, opTimeoutMs: 1_500 },
});
