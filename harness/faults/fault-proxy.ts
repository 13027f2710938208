/**
 * Where a run gets its fault proxy: an external Toxiproxy named by `TOXIPROXY_URL` (shared, so only the proxies
 * this run created are removed afterwards), or else faultline's own proxy server on 127.0.0.1, seeded from the run.
 */
import { NotFound, ProxyApi, type ProxyInfo, type ProxySpec } from './proxy-api.js';
import { startProxyServer, type LinkStats } from './proxy-server.js';

/** A fault proxy for one run; `close()` leaves nothing behind that this run created. */
export interface FaultProxy {
  api: ProxyApi;
  url: string;
  /** True when `TOXIPROXY_URL` named a server this process does not own. */
  external: boolean;
  close(): Promise<void>;
  /** Per-proxy byte counters (faultline's own server only; an external Toxiproxy has none to offer live). */
  stats?(): Record<string, LinkStats>;
}

export interface AcquireOptions {
  seed: number;
  log?: (s: string) => void;
  /** Also delete, on close, every proxy on an external server whose name starts with this prefix. */
  namePrefix?: string;
  /** Per-call API timeout (default 5 s). */
  timeoutMs?: number;
  /** Overrides `process.env.TOXIPROXY_URL` (tests). */
  externalUrl?: string;
}

/** A `ProxyApi` that remembers which proxies it created, so a shared server can be cleaned up precisely. */
class TrackingProxyApi extends ProxyApi {
  readonly created = new Set<string>();

  override async createProxy(spec: ProxySpec): Promise<ProxyInfo> {
    const p = await super.createProxy(spec);
    this.created.add(p.name);
    return p;
  }

  override async populate(list: ProxySpec[]): Promise<ProxyInfo[]> {
    try {
      const out = await super.populate(list);
      for (const p of out) this.created.add(p.name);
      return out;
    } catch (err) {
      for (const p of (err as { proxies?: ProxyInfo[] }).proxies ?? []) this.created.add(p.name);
      throw err;
    }
  }

  override async deleteProxy(name: string): Promise<void> {
    await super.deleteProxy(name);
    this.created.delete(name);
  }
}

export async function acquireFaultProxy(opts: AcquireOptions): Promise<FaultProxy> {
  const log = opts.log ?? ((): void => {});
  const external = opts.externalUrl ?? process.env.TOXIPROXY_URL;
  if (external !== undefined && external !== '') {
    let api: TrackingProxyApi;
    try {
      api = new TrackingProxyApi(external, { timeoutMs: opts.timeoutMs });
    } catch (err) {
      throw new Error(`TOXIPROXY_URL=${external} is not usable: ${(err as Error).message}`);
    }
    let version: string;
    try {
      version = await api.version();
    } catch (err) {
      throw new Error(`TOXIPROXY_URL=${external} does not answer GET /version: ${(err as Error).message}`);
    }
    log(`fault proxy: external Toxiproxy ${version} at ${api.url}`);
    let closed = false;
    return {
      api,
      url: api.url,
      external: true,
      close: async () => {
        if (closed) return;
        closed = true;
        const names = new Set(api.created);
        if (opts.namePrefix) {
          const all = await api.listProxies().catch(() => ({}));
          for (const name of Object.keys(all)) if (name.startsWith(opts.namePrefix)) names.add(name);
        }
        const problems: string[] = [];
        for (const name of names) {
          await api.deleteProxy(name).catch((err: unknown) => {
            if (!(err instanceof NotFound)) problems.push(`${name}: ${(err as Error).message}`);
          });
        }
        if (problems.length) throw new Error(`could not delete proxies on ${api.url}: ${problems.join('; ')}`);
      },
    };
  }
  const server = await startProxyServer({ seed: opts.seed, log });
  return {
    api: new ProxyApi(server.url, { timeoutMs: opts.timeoutMs }),
    url: server.url,
    external: false,
    close: () => server.close(),
    stats: () => server.stats(),
  };
}
