/**
 * One fault-proxy link per (client worker, node) pair, so a fault can cut one client off, or one node off from
 * every client, without touching the rest.
 */
import type { Endpoint } from '../backends/types.js';

/** A proxied path from a client (or a node) to a node. */
export interface Link {
  /** Proxy name: `w<worker>-<node>` for client links, `<from>-<node>` for peer links. */
  readonly name: string;
  /** `w3` for a client worker, `n2` for a node dialling a peer. */
  readonly from: string;
  readonly worker?: number;
  /** The node this link leads to. */
  readonly node: string;
  /** Where the dialler connects (the proxy's listener). */
  readonly listen: Endpoint;
  /** The node's real address. */
  readonly upstream: Endpoint;
}

/** The minimal proxy API the links need (implemented by `ProxyApi`). */
export interface LinkProxyApi {
  createProxy(body: { name: string; upstream: string; listen?: string; enabled?: boolean }): Promise<{ listen: string }>;
  deleteProxy(name: string): Promise<unknown>;
}

/** Parses `host:port` as reported by the proxy API (`127.0.0.1:40123`, `[::]:40123`). */
export function parseHostPort(text: string): Endpoint {
  const i = text.lastIndexOf(':');
  const host = text.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(text.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0) throw new Error(`fault proxy reported a bad listen address ${JSON.stringify(text)}`);
  return { host: host === '::' || host === '0.0.0.0' || host === '' ? '127.0.0.1' : host, port };
}

/** Creates a proxy for every worker × node pair; `prefix` keeps names unique on a shared Toxiproxy server. */
export async function createClientLinks(
  api: LinkProxyApi,
  workers: number,
  nodes: readonly { name: string; endpoint: Endpoint }[],
  prefix = '',
): Promise<Link[]> {
  const specs: { worker: number; node: { name: string; endpoint: Endpoint } }[] = [];
  for (let w = 0; w < workers; w++) for (const node of nodes) specs.push({ worker: w, node });
  return Promise.all(
    specs.map(async ({ worker, node }) => {
      const name = `${prefix}w${worker}-${node.name}`;
      const info = await api.createProxy({ name, upstream: `${node.endpoint.host}:${node.endpoint.port}`, listen: '127.0.0.1:0' });
      return { name, from: `w${worker}`, worker, node: node.name, listen: parseHostPort(info.listen), upstream: node.endpoint };
    }),
  );
}

/** A peer link (e.g. replica -> primary) through the proxy. */
export async function createPeerLink(api: LinkProxyApi, from: string, to: string, upstream: Endpoint, prefix = '', suffix = ''): Promise<Link> {
  const name = `${prefix}${from}-${to}${suffix}`;
  const info = await api.createProxy({ name, upstream: `${upstream.host}:${upstream.port}`, listen: '127.0.0.1:0' });
  return { name, from, node: to, listen: parseHostPort(info.listen), upstream };
}
