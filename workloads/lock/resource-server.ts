/**
 * The guarded resource over HTTP on 127.0.0.1, so clients in other OS processes (client mode `process`, where the
 * nemesis freezes a holder with SIGSTOP) reach the same storage as in-process clients. Deliberately not behind the
 * fault proxy: it stands for the storage the lock protects, and only the lock service is under test.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GuardedResource, type ResourceRecord, type ResourceRequest } from './guarded-resource.js';

/** A running resource server. */
export interface ResourceServer {
  url: string;
  close(): Promise<void>;
}

function parseRequest(body: string): ResourceRequest | string {
  let x: unknown;
  try {
    x = JSON.parse(body);
  } catch {
    return 'body is not JSON';
  }
  const r = x as Partial<ResourceRequest>;
  if (r === null || typeof r !== 'object') return 'expected an object';
  if (r.op !== 'read' && r.op !== 'write') return 'op must be "read" or "write"';
  if (typeof r.lock !== 'string') return 'lock must be a string';
  if (!Number.isInteger(r.worker)) return 'worker must be an integer';
  if (r.token !== null && typeof r.token !== 'number') return 'token must be a number or null';
  if (r.op === 'write' && (!Number.isInteger(r.basedOn) || !Number.isInteger(r.add))) return 'write needs integer basedOn and add';
  return r as ResourceRequest;
}

/** Starts the resource; every request is applied and recorded in arrival order. */
export async function startResourceServer(opts: { fenced: boolean; record(rec: ResourceRecord): void }): Promise<ResourceServer> {
  const resource = new GuardedResource(opts.fenced, opts.record);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = req.method === 'POST' && req.url === '/op' ? parseRequest(Buffer.concat(chunks).toString('utf8')) : 'expected POST /op';
      const [status, body] = typeof parsed === 'string' ? [400, { error: parsed }] : [200, resource.apply(parsed)];
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
