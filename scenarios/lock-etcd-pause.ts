/**
 * `lock-etcd-pause`: the etcd3 client's lease lock on a 3-node etcd cluster while the nemesis freezes the holder
 * (SIGSTOP) for longer than the lease TTL. Keep-alives stop with the process, etcd revokes the lease, another
 * client takes the lock, and the frozen holder wakes up still inside its critical section. Our client checks its
 * lease before touching the resource (etcd3's own Lock offers no such signal), so it usually skips its stale write,
 * but it believed it held the lock while another client did: the belief intervals overlap. Expected: invalid.
 *
 * Sources: Jepsen, "etcd 3.4.3" (jepsen.io/analyses/etcd-3.4.3, 2020): locks are "fundamentally unsafe" under
 * pauses; Kleppmann (2016), the pause-while-holding case.
 */
import { lockCheckers } from '../harness/checkers.js';
import { etcdLock } from '../workloads/lock/etcd.js';
import { lockClient } from '../workloads/lock/client.js';
import { lockWorkload } from '../workloads/lock/workload.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'lock-etcd-pause',
  description: 'etcd lease lock, holder frozen past the lease TTL (expected: invalid)',
  backend: { kind: 'etcd', nodes: 3, heartbeatMs: 50, electionMs: 500 },
  workload: lockWorkload({ holdMs: [20, 80] }),
  client: lockClient(etcdLock(), { ttlMs: 1000 }),
  nemesis: {
    faults: [{ kind: 'pause', scope: 'client', target: 'holder' }],
    gapMs: [500, 1500],
    durationMs: [2500, 3500],
    quietMs: 500,
  },
  checkers: lockCheckers({ overlap: 'invalid' }),
  expect: 'invalid',
  defaults: { clients: 5, timeLimitMs: 20_000, opTimeoutMs: 1_500, clientMode: 'process' },
});
