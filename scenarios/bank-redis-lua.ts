/**
 * `bank-redis-lua`: transfers on one Redis as one Lua script (check funds, write both balances). Redis runs a script
 * atomically, so no other command interleaves. Reply loss, latency and pauses make outcomes unknown (info) but
 * cannot break conservation. Expected: valid.
 *
 * Sources: Redis documentation, "Scripting with Lua" (atomicity of scripts); Jepsen's bank test.
 */
import { BANK_DEFAULTS } from '../workloads/bank/accounts.js';
import { bankWorkload } from '../workloads/bank/generator.js';
import { redisBankClient } from '../workloads/bank/redis.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'bank-redis-lua',
  description: 'Bank transfers on Redis as atomic Lua scripts under link faults and pauses (expected: valid)',
  backend: { kind: 'redis', topology: 'single' },
  workload: bankWorkload(BANK_DEFAULTS),
  client: redisBankClient('lua', BANK_DEFAULTS),
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
