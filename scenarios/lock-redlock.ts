/**
 * `lock-redlock`: Redlock over three independent Redis nodes with no restarts and no pauses, only network faults
 * that stay inside Redlock's timing assumptions: one node unreachable or silent at a time, reply latency well below
 * the TTL. In that synchronous world Redlock keeps its promise. Expected: valid.
 *
 * Sources: the Redlock description in the Redis docs; Kleppmann (2016) and antirez (antirez.com/news/101) agree
 * that it is safe when delays, pauses and clock drift are bounded.
 */
import { lockCheckers } from '../harness/checkers.js';
import { lockClient } from '../workloads/lock/client.js';
import { redlockLock } from '../workloads/lock/redlock.js';
import { lockWorkload } from '../workloads/lock/workload.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'lock-redlock',
  description: 'Redlock on 3 Redis nodes under link faults within its timing assumptions (expected: valid)',
  backend: { kind: 'redis', topology: 'independent', nodes: 3 },
  workload: lockWorkload({ holdMs: [10, 50] }),
  client: lockClient(redlockLock(), { ttlMs: 3000 }),
  nemesis: {
    faults: [
      { kind: 'link', mode: 'down', scope: 'node', target: 'one' },
      { kind: 'link', mode: 'blackhole', scope: 'node', target: 'one' },
      { kind: 'link', mode: 'latency', scope: 'node', target: 'all', latencyMs: 200 },
      { kind: 'link', mode: 'down', scope: 'client', target: 'minority' },
    ],
    gapMs: [500, 1500],
    durationMs: [1000, 3000],
    quietMs: 500,
  },
  checkers: lockCheckers(),
  expect: 'valid',
  defaults: { clients: 5, timeLimitMs: 15_000, opTimeoutMs: 1_500 },
});
