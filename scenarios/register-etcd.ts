/**
 * `register-etcd`: read/write/cas registers on a 3-node etcd cluster while the nemesis kills and pauses members
 * (the leader among them) and cuts client links. etcd's KV API is linearizable, so the expected verdict is valid:
 * an invalid verdict here is a bug in etcd, its client, or faultline.
 */
import { registerWorkload } from '../workloads/register/generator.js';
import { etcdRegisterClient } from '../workloads/register/etcd-client.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'register-etcd',
  description: 'Linearizable registers on a 3-node etcd cluster under kill -9, SIGSTOP and client link faults (expected: valid)',
  backend: { kind: 'etcd', nodes: 3, heartbeatMs: 50, electionMs: 500 },
  workload: registerWorkload({ keys: 3 }),
  client: etcdRegisterClient(),
  nemesis: {
    faults: [
      { kind: 'kill', target: 'leader' },
      { kind: 'kill', target: 'one' },
      { kind: 'pause', target: 'one' },
      { kind: 'link', mode: 'down', scope: 'client', target: 'minority' },
      { kind: 'link', mode: 'blackhole', scope: 'client', target: 'one' },
      { kind: 'link', mode: 'latency', scope: 'node', target: 'one' },
    ],
    gapMs: [1000, 2000],
    durationMs: [1000, 3000],
    quietMs: 2000,
  },
  checkers: [{ checker: 'linearizable', model: 'kv' }],
  expect: 'valid',
  defaults: { clients: 5, timeLimitMs: 20_000, opTimeoutMs: 1_000 },
});
