/**
 * The contract between the harness and the systems it tests: a provisioner turns a backend spec into a running
 * cluster of nodes, each of which the nemesis can stop, kill, pause and restart.
 */

/** Where a client (or the fault proxy) dials a node. Always loopback for local processes. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** One server process; the nemesis drives its lifecycle, so every transition must be awaitable and idempotent. */
export interface NodeHandle {
  /** Stable name (`n1`, `n2`, ...) used in histories, logs and nemesis targets. */
  readonly name: string;
  /** The address clients use (the real port; the harness puts a proxy in front of it). */
  readonly endpoint: Endpoint;
  /** Extra named ports (e.g. etcd `peer`, ZooKeeper `quorum`/`election`), for diagnostics. */
  readonly ports: Readonly<Record<string, number>>;
  /** This node's own data directory (kept across restart, removed at teardown). */
  readonly dataDir: string;
  /** Where its stdout/stderr go: `<run>/logs/<cluster>-<node>.log`. */
  readonly logFile: string;
  /** The OS pid while a process is running, else undefined. */
  pid(): number | undefined;
  /** `running`, `paused` (SIGSTOP), or `stopped` (after stop/kill or before start). */
  state(): NodeState;
  /** Starts the process and resolves once the readiness probe passes. */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** SIGKILL, and reaps it. */
  kill(): Promise<void>;
  /** SIGSTOP: the process keeps its sockets but stops answering. */
  pause(): Promise<void>;
  /** SIGCONT. */
  resume(): Promise<void>;
  /** Stop (or kill, if `hard`) then start again on the same ports and data dir. */
  restart(opts?: { hard?: boolean }): Promise<void>;
}

export type NodeState = 'running' | 'paused' | 'stopped';

export type BackendKind = 'redis' | 'etcd' | 'zookeeper' | 'postgres';

/** Redis persistence knobs; off by default so a kill loses unsynced writes only when asked to. */
export interface RedisPersistence {
  aof: boolean;
  appendfsync?: 'always' | 'everysec' | 'no';
}

/** What to start. Each variant lists only the knobs that backend has. */
export type BackendSpec =
  | {
      kind: 'redis';
      /** `single`: one node; `independent`: N unrelated nodes (Redlock); `replicated`: n1 primary, rest `replicaof` n1. */
      topology: 'single' | 'independent' | 'replicated';
      nodes?: number;
      persistence?: RedisPersistence;
    }
  | { kind: 'etcd'; nodes: 1 | 3 | 5; heartbeatMs?: number; electionMs?: number }
  | { kind: 'zookeeper'; nodes: 1 | 3 | 5; tickMs?: number }
  | { kind: 'postgres'; nodes?: 1 };

/** A running set of nodes of one backend kind. */
export interface Cluster {
  readonly kind: BackendKind;
  readonly spec: BackendSpec;
  readonly nodes: readonly NodeHandle[];
  /** The current leader (etcd, ZooKeeper) found through the system's own API, or undefined if none answers. */
  leader?(): Promise<NodeHandle | undefined>;
  /** The node that takes writes (Redis primary, PostgreSQL). */
  primary?(): NodeHandle;
  /** Stops every node (SIGKILL if it will not stop) and removes every data dir. Idempotent. */
  teardown(): Promise<void>;
}

/** What a provisioner needs from the harness. */
export interface ProvisionContext {
  /** The run's `logs/` directory. */
  logDir: string;
  /** Parent directory for data dirs (the harness removes it at the end too). */
  tmpRoot: string;
  /** Records every spawned pid so a later run can reap what a SIGKILLed harness left behind. */
  registry: PidRegistrar;
  /** Progress/diagnostic lines. */
  log(message: string): void;
  /** Give up on a node that is not ready after this long (default 30 s). */
  readyTimeoutMs?: number;
  /**
   * Optional: route a node-to-node link (e.g. replica -> primary) through the fault proxy. Returns the endpoint
   * the dialling node should use instead of `to`. Without it, peers dial each other directly.
   */
  peerLink?(from: string, to: string, target: Endpoint): Promise<Endpoint>;
}

/** The part of the pid registry provisioners use. */
export interface PidRegistrar {
  add(pid: number, info: { name: string; command: string }): void;
  remove(pid: number): void;
}

/** Starts clusters; `local` runs packaged binaries as child processes, `containers` uses testcontainers. */
export interface Provisioner {
  readonly name: ProvisionerName;
  /** Throws `ProvisionError` with an actionable message when the backend cannot be started. */
  provision(spec: BackendSpec, ctx: ProvisionContext): Promise<Cluster>;
}

export type ProvisionerName = 'local' | 'containers';

/** A backend that would not start, or a missing tool; the message says what to do. Maps to exit code 70. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
}
