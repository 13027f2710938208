/**
 * The contract between the run loop and a workload: a pure, seeded generator of operations and, per backend, a
 * client that turns an operation into real commands and an honest outcome (`ok` / `fail` / `info`).
 */
import type { Rng } from '../harness/seed.js';
import type { Endpoint } from '../harness/backends/types.js';

/** What a worker is about to invoke; becomes the `invoke` record of the history. */
export interface OpRequest {
  f: string;
  value: unknown;
  key?: string | number;
}

/** What came back. `fail` only when the op certainly did not take effect; anything unproven is `info`. */
export interface OpOutcome {
  type: 'ok' | 'fail' | 'info';
  /** The completed value (e.g. what a read returned); defaults to the invoked value. */
  value?: unknown;
  error?: string;
  /** Which node served it, when known. */
  node?: string;
}

/** What the worker's previous op was and how it ended, for generators that react (a lock loop retries a failed acquire). */
export interface LastOp {
  request: OpRequest;
  outcome: OpOutcome;
}

/**
 * Per-worker source of operations; `null` means this worker is done. Deterministic given the seed and the outcomes
 * it is shown (`last` is undefined for the first op; generators that do not react ignore it).
 */
export interface OpGenerator {
  next(last?: LastOp): OpRequest | null;
}

/** Read-only facts a client needs to connect. */
export interface ClientContext {
  /** One endpoint per node, in node order, already routed through this client's proxy links. */
  endpoints: readonly { node: string; endpoint: Endpoint }[];
  /** The worker's index (stable across process-id changes after `info`). */
  worker: number;
  /** Per-op timeout: the client must give up by then and report `info` (or `fail` if provably not applied). */
  opTimeoutMs: number;
  /** A private random stream (e.g. for picking which node to talk to). */
  rng: Rng;
  /** URLs of the workload's harness-side services (e.g. `resource` for the lock workload's guarded resource). */
  services?: Readonly<Record<string, string>>;
}

/** A connection to the system under test for one worker. Reopened after an `info` outcome. */
export interface Client {
  invoke(op: OpRequest, signal: AbortSignal): Promise<OpOutcome>;
  /** Closes sockets; must not throw. */
  close(): Promise<void>;
}

/** Builds clients for one backend (or for the user's own system). */
export interface ClientFactory {
  /** Short name for logs and errors (e.g. `etcd`, `redis`). */
  readonly name: string;
  open(ctx: ClientContext): Promise<Client>;
  /** Optional one-time setup/teardown against the whole cluster (create tables, clear keys). */
  setup?(endpoints: readonly { node: string; endpoint: Endpoint }[]): Promise<void>;
}

/** A family of operations with its generator, final reads and the checker that judges the history. */
export interface Workload<Options = Record<string, unknown>> {
  readonly name: string;
  readonly options: Options;
  /** A generator for one worker; `rng` is that worker's own stream. */
  generator(worker: number, rng: Rng): OpGenerator;
  /** Ops run once after the final heal and quiet period (e.g. a read of every key). */
  finalOps(): OpRequest[];
  /**
   * Harness-side services the clients talk to besides the system under test (the lock workload's guarded
   * resource). Started before the clients, closed at teardown; `record` appends a bare record to the history.
   */
  services?(ctx: ServiceContext): Promise<RunningServices>;
}

/** What a workload's services may use: the history and the harness log. */
export interface ServiceContext {
  /** Appends a record (e.g. `{ process: 'resource', type: 'info', f: 'write', value }`); index and time are added. */
  record(rec: Record<string, unknown>): void;
  log(line: string): void;
}

/** Started services: their URLs by name (passed to clients as `ctx.services`) and how to stop them. */
export interface RunningServices {
  urls: Record<string, string>;
  close(): Promise<void>;
}
