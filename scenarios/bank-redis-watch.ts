/**
 * `bank-redis-watch`: transfers on one Redis with optimistic concurrency: WATCH both accounts, GET them, then
 * MULTI/SET/SET/EXEC. If another client changed either account in between, EXEC returns nil and the transfer fails
 * with nothing written. Reply loss, latency and pauses make outcomes unknown (info) but cannot break conservation.
 * Expected: valid.
 *
 * Sources: Redis documentation, "Transactions" (optimistic locking using check-and-set); Jepsen's bank test.
 */
import { BANK_DEFAULTS } from '../workloads/bank/accounts.js';
import { bankWorkload } from '../workloads/bank/generator.js';
import { redisBankClient } from '../workloads/bank/redis.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'bank-redis-watch',
  description: 'Bank transfers on Redis with WATCH/MULTI/EXEC under link faults and pauses (expected: valid)',
  backend: { kind: 'redis', topology: 'single' },
  workload: bankWorkload(BANK_DEFAULTS),
  client: redisBankClient('watch', BANK_DEFAULTS),
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
  checkers: [{ checker: 'bank', options: { ...BANK_DEFAULTS } }],
  expect: 'valid',
  defaults: { clients: 8, timeLimitMs: 15_000, opTimeoutMs: 1_000 },
});
