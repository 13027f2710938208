/**
 * `list-append-etcd`: list-append transactions on a 3-node etcd cluster: each transaction reads its keys at one
 * revision, then commits with one `Txn` that compares every touched key's mod revision and puts the appended lists
 * (optimistic concurrency; a failed compare is a clean abort). The nemesis kills and pauses members, the leader
 * among them, and cuts client links. etcd's KV API is strictly serializable. Expected: valid.
 *
 * Sources: etcd documentation, "KV API guarantees" and the Txn API; Jepsen's etcd 3.4.3 analysis (2020); Elle's
 * list-append workload.
 */
import { listAppendWorkload } from '../workloads/list-append/generator.js';
import { etcdListAppendClient } from '../workloads/list-append/etcd.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'list-append-etcd',
  description: 'List-append on 3-node etcd with mod-revision compares under kills, pauses and link faults (expected: valid)',
  backend: { kind: 'etcd', nodes: 3, heartbeatMs: 50, electionMs: 500 },
  workload: listAppendWorkload({}),
  client: etcdListAppendClient(),
  nemesis: {
    faults: [
      { kind: 'kill', target: 'leader' },
      { kind: 'pause', target: 'one' },
      { kind: 'link', mode: 'blackhole', scope: 'client', target: 'one' },
      { kind: 'link', mode: 'latency', scope: 'node', target: 'one' },
    ],
    gapMs: [1000, 2000],
    durationMs: [1000, 3000],
    quietMs: 2000,
  },
  checkers: [{ checker: 'list-append', options: { consistencyModels: ['strict-serializable'] } }],
  expect: 'valid',
  defaults: { clients: 5, timeLimitMs: 20_000, opTimeoutMs: 1_500 },
});
