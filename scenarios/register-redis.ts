/**
 * `register-redis`: read/write/cas registers on one Redis node while the nemesis cuts, silences, slows, resets and
 * stalls client links. A single Redis executes commands one at a time, so the expected verdict is valid; the
 * scenario exercises the client's fail-versus-info decisions under every link fault.
 */
import { registerWorkload } from '../workloads/register/generator.js';
import { redisRegisterClient } from '../workloads/register/redis-client.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'register-redis',
  description: 'Linearizable registers on a single Redis node under client link faults (expected: valid)',
  backend: { kind: 'redis', topology: 'single' },
  workload: registerWorkload({ keys: 3 }),
  client: redisRegisterClient(),
  nemesis: {
    faults: [
      { kind: 'link', mode: 'down', scope: 'client', target: 'minority' },
      { kind: 'link', mode: 'blackhole', scope: 'client', target: 'one' },
      { kind: 'link', mode: 'latency', scope: 'node', target: 'all', latencyMs: 50 },
      { kind: 'link', mode: 'reset', scope: 'client', target: 'one' },
      { kind: 'link', mode: 'bandwidth', scope: 'client', target: 'one', rateKBps: 0 },
    ],
    gapMs: [500, 1500],
    durationMs: [500, 2000],
    quietMs: 1000,
  },
  checkers: [{ checker: 'linearizable', model: 'kv' }],
  expect: 'valid',
  defaults: { clients: 5, timeLimitMs: 10_000, opTimeoutMs: 1_000 },
});
