/**
 * `txn-pg-read-committed`: list-append transactions on PostgreSQL at READ COMMITTED, where every statement takes a
 * fresh snapshot: a transaction can see another's commit between two of its own reads, and concurrent appends to
 * one row wait and then apply on top of the newer version (lost-update-style anti-dependency cycles). Checked
 * against repeatable read, anomalies are expected (G-single / G2-item / lost-update); read committed itself (no
 * G1: aborted, intermediate or circular reads) must hold. Expected: invalid against repeatable-read, valid against
 * read-committed.
 *
 * Sources: PostgreSQL documentation, "Transaction Isolation" (Read Committed); Adya, "Weak Consistency" (1999).
 */
import { listAppendWorkload } from '../workloads/list-append/generator.js';
import { pgListAppendClient } from '../workloads/list-append/pg.js';
import { defineScenario } from './define.js';

export default defineScenario({
  name: 'txn-pg-read-committed',
  description: 'List-append on PostgreSQL READ COMMITTED: anomalies against repeatable-read, valid against read-committed',
  backend: { kind: 'postgres' },
  workload: listAppendWorkload({ keyCount: 4, minTxnLength: 2, maxTxnLength: 4 }),
  client: pgListAppendClient({ isolation: 'read-committed' }),
  checkers: [
    { checker: 'list-append', options: { consistencyModels: ['repeatable-read'] }, expect: 'invalid' },
    { checker: 'list-append', options: { consistencyModels: ['read-committed'] }, expect: 'valid' },
  ],
  expect: 'invalid',
  defaults: { clients: 8, timeLimitMs: 10_000, opTimeoutMs: 2_000 },
});
