/**
 * `lock-etcd`: the etcd3 client's lease lock on a 3-node etcd cluster while the nemesis kills the leader (kill -9,
 * restart after the window). Leases survive leader changes (the new leader extends them), the critical section is
 * far shorter than the lease, and the client fails over to a live member. Expected: valid.
 *
 * Sources: Jepsen, "etcd 3.4.3" (2020): KV operations stayed strict serializable under crashes; the lock problems
 * it found need pauses (see lock-etcd-pause).
 */
import { lockCheckers } from '../harness/checkers.js';
import { etcdLock } from '../workloads/lock/etcd.js';
import { lockClient } from '../workloads/lock/client.js';
import { lockWorkload } from '../workloads/lock/workload.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'lock-etcd',
  description: 'etcd lease lock on 3 nodes under leader kills (expected: valid)',
  backend: { kind: 'etcd', nodes: 3, heartbeatMs: 50, electionMs: 500 },
  workload: lockWorkload({ holdMs: [10, 50] }),
  client: lockClient(etcdLock(), { ttlMs: 5000 }),
  nemesis: {
    faults: [{ kind: 'kill', target: 'leader' }],
    gapMs: [1000, 2000],
    durationMs: [1000, 3000],
    quietMs: 1000,
  },
  checkers: lockCheckers(),
  expect: 'valid',
  defaults: { clients: 5, timeLimitMs: 20_000, opTimeoutMs: 1_500 },
});
