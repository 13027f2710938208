/**
 * `bank-redis-naive`: transfers between accounts on one Redis with a client that reads both balances with GET and
 * writes them back with SET, with no WATCH and no transaction. Two concurrent transfers touching one account both
 * read the old balance and the second write erases the first: money is created or destroyed, and reads stop
 * summing to the total. Expected: invalid (wrong-total).
 *
 * Sources: Redis documentation, "Transactions" (optimistic locking with WATCH, written exactly for this race);
 * Jepsen's bank test (jepsen.tests.bank).
 */
import { BANK_DEFAULTS } from '../workloads/bank/accounts.js';
import { bankWorkload } from '../workloads/bank/generator.js';
import { redisBankClient } from '../workloads/bank/redis.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'bank-redis-naive',
  description: 'Bank transfers on Redis with GET-then-SET and no WATCH (expected: invalid, money appears or vanishes)',
  backend: { kind: 'redis', topology: 'single' },
  workload: bankWorkload(BANK_DEFAULTS),
  client: redisBankClient('naive', BANK_DEFAULTS),
  nemesis: {
    faults: [{ kind: 'link', mode: 'latency', scope: 'client', target: 'minority', latencyMs: 20 }],
    gapMs: [500, 1000],
    durationMs: [1000, 2000],
    quietMs: 500,
  },
  checkers: [{ checker: 'bank', options: { ...BANK_DEFAULTS } }],
  expect: 'invalid',
  defaults: { clients: 8, timeLimitMs: 10_000, opTimeoutMs: 1_000 },
});
