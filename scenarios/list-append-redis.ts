/**
 * `list-append-redis`: list-append transactions on one Redis, each a MULTI/EXEC block of RPUSH and LRANGE, while
 * the nemesis delays, blackholes and drops replies on client links and pauses the server. Redis executes a
 * transaction's queued commands one after another with nothing in between, on one thread, so the history must be
 * strict serializable. Expected: valid.
 *
 * Deliberately not included: kill -9. With persistence off (the harness default) a restarted Redis is empty, and
 * the lost lists are a durability failure the checker would rightly report (incompatible-order), not an isolation
 * one.
 *
 * Sources: Redis documentation, "Transactions"; Elle's list-append workload.
 */
import { listAppendWorkload } from '../workloads/list-append/generator.js';
import { redisListAppendClient } from '../workloads/list-append/redis.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'list-append-redis',
  description: 'List-append on Redis MULTI/EXEC under link faults and pauses (expected: valid, strict serializable)',
  backend: { kind: 'redis', topology: 'single' },
  workload: listAppendWorkload({}),
  client: redisListAppendClient(),
  nemesis: {
    faults: [
      { kind: 'link', mode: 'latency', scope: 'client', target: 'minority', latencyMs: 50 },
      { kind: 'link', mode: 'reply-loss', scope: 'client', target: 'one' },
      { kind: 'link', mode: 'blackhole', scope: 'client', target: 'one' },
      { kind: 'pause', target: 'one' },
    ],
    gapMs: [500, 1500],
    durationMs: [500, 2000],
    quietMs: 1000,
  },
  checkers: [{ checker: 'list-append', options: { consistencyModels: ['strict-serializable'] } }],
  expect: 'valid',
  defaults: { clients: 8, timeLimitMs: 15_000, opTimeoutMs: 1_000 },
});
