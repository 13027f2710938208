/**
 * `txn-pg-repeatable-read`: list-append transactions on PostgreSQL at REPEATABLE READ, which PostgreSQL implements
 * as snapshot isolation. Two transactions that each read what the other writes, and write disjoint keys, both
 * commit: write skew, a G2-item cycle of two anti-dependencies. Checked against serializable the history is
 * invalid; checked against snapshot isolation it must stay valid (nothing SI forbids, such as G-single or lost
 * updates, may appear). Expected: invalid against serializable, valid against snapshot-isolation.
 *
 * Sources: PostgreSQL documentation, "Transaction Isolation" (Repeatable Read); Berenson et al., "A Critique of
 * ANSI SQL Isolation Levels" (1995, write skew A5B); Jepsen's PostgreSQL 12.3 analysis (2020).
 */
import { listAppendWorkload } from '../workloads/list-append/generator.js';
import { pgListAppendClient } from '../workloads/list-append/pg.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'txn-pg-repeatable-read',
  description: 'List-append on PostgreSQL REPEATABLE READ (= snapshot isolation): G2-item against serializable, valid against SI',
  backend: { kind: 'postgres' },
  workload: listAppendWorkload({ keyCount: 4, minTxnLength: 2, maxTxnLength: 4 }),
  client: pgListAppendClient({ isolation: 'repeatable-read' }),
  checkers: [
    { checker: 'list-append', options: { consistencyModels: ['serializable'] }, expect: 'invalid' },
    { checker: 'list-append', options: { consistencyModels: ['snapshot-isolation'] }, expect: 'valid' },
  ],
  expect: 'invalid',
  defaults: { clients: 8, timeLimitMs: 10_000, opTimeoutMs: 2_000 },
});
