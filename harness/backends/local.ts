/**
 * The `local` provisioner: runs the distribution's packaged server binaries as child processes on loopback, each
 * node with its own data dir under `ctx.tmpRoot/<kind>-<node>` and log under `ctx.logDir/<kind>-<node>.log`.
 */
import { mkdir } from 'node:fs/promises';
import { startEtcd } from './etcd.js';
import { requireBinary } from './process.js';
import { startPostgres } from './postgres.js';
import { startRedis } from './redis.js';
import { ProvisionError, type BackendSpec, type Cluster, type ProvisionContext, type Provisioner } from './types.js';
import { startZookeeper } from './zookeeper.js';

/** The binary each backend needs up front, and the Debian packages that provide it. */
const BINARIES: Partial<Record<BackendSpec['kind'], { command: string; packages: string }>> = {
  redis: { command: 'redis-server', packages: 'redis-server' },
  etcd: { command: 'etcd', packages: 'etcd-server etcd-client' },
};

async function provision(spec: BackendSpec, ctx: ProvisionContext): Promise<Cluster> {
  const need = BINARIES[spec.kind];
  if (need) requireBinary(need.command, need.packages);
  await mkdir(ctx.logDir, { recursive: true });
  await mkdir(ctx.tmpRoot, { recursive: true });
  switch (spec.kind) {
    case 'redis':
      return startRedis(spec, ctx);
    case 'etcd':
      return startEtcd(spec, ctx);
    case 'zookeeper':
      return startZookeeper(spec, ctx);
    case 'postgres':
      return startPostgres(spec, ctx);
    default:
      throw new ProvisionError(`local provisioner: unknown backend kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}

/** Starts backends as local child processes (the default provisioner). */
export const localProvisioner: Provisioner = { name: 'local', provision };
