/**
 * Scaffolding shared by the tests that start real processes: a temp root made before a suite and removed after it,
 * and, on top of it, a pid registry plus a ProvisionContext for the local provisioner, the clusters a suite
 * provisioned (torn down after it), and the "teardown left nothing behind" assertion.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localProvisioner } from '../../harness/backends/local.js';
import { assertPortFree } from '../../harness/backends/ports.js';
import type { BackendSpec, Cluster, ProvisionContext } from '../../harness/backends/types.js';
import { PidRegistry } from '../../harness/pid-registry.js';

/** Process is gone (and reaped): kill(pid, 0) says ESRCH. */
export function assertDead(pid: number): void {
  assert.throws(() => process.kill(pid, 0), (e: NodeJS.ErrnoException) => e.code === 'ESRCH', `pid ${pid} still alive`);
}

/**
 * Registers mocha hooks: `before` makes `<tmpdir>/faultline-<prefix>-XXXXXX`, `after` runs `cleanup` and then
 * removes the directory. `path` is set once the `before` hook has run.
 */
export function useTempRoot(prefix: string, cleanup?: () => Promise<unknown>): { readonly path: string } {
  let root: string | undefined;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), `faultline-${prefix}-`));
  });
  after(async () => {
    await cleanup?.();
    if (root) await rm(root, { recursive: true, force: true });
  });
  return {
    get path(): string {
      assert.ok(root, 'the temp root exists only once the before hook has run');
      return root;
    },
  };
}

export interface LocalBackendsOptions {
  /** ProvisionContext.readyTimeoutMs for every provision of the suite. */
  readyTimeoutMs: number;
  /** assertTornDown also checks that no entry with this prefix is left in `ctx.tmpRoot` (the cluster's dir). */
  clusterDirPrefix?: string;
  /** How assertTornDown checks a pid is gone (default `assertDead`). */
  assertDead?(pid: number): void;
}

export interface LocalBackends {
  /** The suite's temp root (`store`, `logs` and `tmp` live in it). */
  readonly root: string;
  readonly registry: PidRegistry;
  readonly ctx: ProvisionContext;
  /** Provisions through the local provisioner (with `over` merged into ctx); the cluster is torn down after the suite. */
  provision(spec: BackendSpec, over?: Partial<ProvisionContext>): Promise<Cluster>;
  /**
   * Tears the cluster down (twice: it is idempotent) and asserts it left nothing: the pids are dead and
   * unregistered, every node is stopped with all its ports free and its data dir gone.
   */
  assertTornDown(cluster: Cluster, pids: number[]): Promise<void>;
}

/**
 * Registers mocha hooks for a suite that provisions local backends: `before` makes a temp root
 * (`faultline-<prefix>-`), a PidRegistry in it and a ProvisionContext; `after` tears down every cluster
 * `provision` made, closes the registry and removes the root. `root`, `registry` and `ctx` are read through the
 * returned object (they exist once the `before` hook has run); `provision` and `assertTornDown` may be destructured.
 */
export function useLocalBackends(prefix: string, opts: LocalBackendsOptions): LocalBackends {
  let registry: PidRegistry | undefined;
  let ctx: ProvisionContext | undefined;
  const clusters: Cluster[] = [];
  const root = useTempRoot(prefix, async () => {
    await Promise.allSettled(clusters.map((c) => c.teardown()));
    registry?.close();
  });

  before(() => {
    registry = new PidRegistry(join(root.path, 'store'));
    ctx = {
      logDir: join(root.path, 'logs'),
      tmpRoot: join(root.path, 'tmp'),
      registry,
      log: () => {},
      readyTimeoutMs: opts.readyTimeoutMs,
    };
  });

  const env: LocalBackends = {
    get root() {
      return root.path;
    },
    get registry() {
      assert.ok(registry, 'the registry exists only once the before hook has run');
      return registry;
    },
    get ctx() {
      assert.ok(ctx, 'the provision context exists only once the before hook has run');
      return ctx;
    },

    async provision(spec, over = {}) {
      const c = await localProvisioner.provision(spec, { ...env.ctx, ...over });
      clusters.push(c);
      return c;
    },

    async assertTornDown(c, pids) {
      await c.teardown();
      await c.teardown(); // idempotent
      for (const pid of pids) (opts.assertDead ?? assertDead)(pid);
      for (const n of c.nodes) {
        assert.equal(n.state(), 'stopped');
        for (const port of new Set([n.endpoint.port, ...Object.values(n.ports)])) await assertPortFree(port);
        assert.equal(existsSync(n.dataDir), false, `${n.dataDir} removed`);
      }
      const recorded = env.registry.snapshot().pids.map((p) => p.pid);
      for (const pid of pids) assert.ok(!recorded.includes(pid), `pid ${pid} unregistered`);
      if (opts.clusterDirPrefix !== undefined) {
        const prefix = opts.clusterDirPrefix;
        assert.deepEqual(readdirSync(env.ctx.tmpRoot).filter((d) => d.startsWith(prefix)), [], 'cluster dir removed');
      }
    },
  };
  return env;
}
