/**
 * `bank-etcd`: transfers on a 3-node etcd cluster, each one read-both-balances then a `Txn` that compares both
 * keys' mod revisions and puts both new balances: the compare fails (and nothing is written) if another transfer
 * got there first. The nemesis kills and pauses members, the leader among them, and cuts client links. Expected:
 * valid (every read sums to the total; no negative balance).
 *
 * Sources: etcd documentation, "KV API guarantees" and the Txn (compare-and-swap) API; Jepsen's etcd 3.4.3
 * analysis (2020); Jepsen's bank test.
 */
import { BANK_DEFAULTS } from '../workloads/bank/accounts.js';
import { bankWorkload } from '../workloads/bank/generator.js';
import { etcdBankClient } from '../workloads/bank/etcd.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'bank-etcd',
  description: 'Bank transfers on 3-node etcd with mod-revision compares under leader kills, pauses and link faults (expected: valid)',
  backend: { kind: 'etcd', nodes: 3, heartbeatMs: 50, electionMs: 500 },
  workload: bankWorkload(BANK_DEFAULTS),
  client: etcdBankClient(BANK_DEFAULTS),
  nemesis: {
    faults: [
      { kind: 'kill', target: 'leader' },
      { kind: 'pause', target: 'leader' },
      { kind: 'pause', target: 'one' },
      { kind: 'link', mode: 'blackhole', scope: 'client', target: 'one' },
    ],
    gapMs: [1000, 2000],
    durationMs: [1000, 3000],
    quietMs: 2000,
  },
  checkers: [{ checker: 'bank', options: { ...BANK_DEFAULTS } }],
  expect: 'valid',
  defaults: { clients: 5, timeLimitMs: 20_000, opTimeoutMs: 1_500 },
});
