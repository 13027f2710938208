/**
 * `txn-pg-serializable`: list-append transactions on PostgreSQL at SERIALIZABLE while the nemesis slows, silences
 * and cuts client links and pauses the server. PostgreSQL's serializable snapshot isolation (SSI) aborts any
 * transaction that would complete a dangerous structure (SQLSTATE 40001), so the history must be serializable.
 * Expected: valid. (Jepsen found G2-item here in PostgreSQL 12.3; fixed in 12.4.)
 *
 * Sources: PostgreSQL documentation, "Transaction Isolation"; Ports & Grittner, "Serializable Snapshot Isolation in
 * PostgreSQL" (VLDB 2012); Jepsen's PostgreSQL 12.3 analysis (2020).
 */
import { listAppendWorkload } from '../workloads/list-append/generator.js';
import { pgListAppendClient } from '../workloads/list-append/pg.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'txn-pg-serializable',
  description: 'List-append on PostgreSQL SERIALIZABLE under link faults and pauses (expected: valid under serializable)',
  backend: { kind: 'postgres' },
  workload: listAppendWorkload({ keyCount: 5, maxTxnLength: 4 }),
  client: pgListAppendClient({ isolation: 'serializable' }),
  nemesis: {
    faults: [
      { kind: 'link', mode: 'latency', scope: 'client', target: 'minority', latencyMs: 100 },
      { kind: 'link', mode: 'blackhole', scope: 'client', target: 'one' },
      { kind: 'link', mode: 'reply-loss', scope: 'client', target: 'one' },
      { kind: 'pause', target: 'one' },
    ],
    gapMs: [500, 1500],
    durationMs: [500, 2000],
    quietMs: 1000,
  },
  checkers: [{ checker: 'list-append', options: { consistencyModels: ['serializable'] } }],
  expect: 'valid',
  defaults: { clients: 8, timeLimitMs: 15_000, opTimeoutMs: 2_000 },
});
