/** Free loopback ports for backends, picked at run time so parallel runs and leftovers never collide. */
import { createServer, type Server } from 'node:net';
import { ProvisionError } from './types.js';

/** Ports handed out recently by this process; never issued twice, even after the backend releases them. */
const issued = new Set<number>();
const ISSUED_LIMIT = 4096;

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(srv));
  });
}

function close(srv: Server): Promise<void> {
  return new Promise((r) => srv.close(() => r()));
}

/** `n` distinct ports that were free on 127.0.0.1 a moment ago and that this process has not issued before. */
export async function freePorts(n: number): Promise<number[]> {
  const held: Server[] = [];
  const out: number[] = [];
  try {
    for (let attempts = 0; out.length < n; attempts++) {
      if (attempts > n + 1000) throw new ProvisionError(`could not find ${n} free ports on 127.0.0.1`);
      const srv = await listen(0);
      held.push(srv); // keep it bound until all n are picked, so the kernel does not hand it out again
      const port = (srv.address() as { port: number }).port;
      if (issued.has(port)) continue;
      out.push(port);
    }
  } finally {
    await Promise.all(held.map(close));
  }
  for (const p of out) issued.add(p);
  if (issued.size > ISSUED_LIMIT) {
    for (const p of issued) {
      issued.delete(p);
      if (issued.size <= ISSUED_LIMIT / 2) break;
    }
  }
  return out;
}

/** One free port (see freePorts). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** True if 127.0.0.1:`port` can be bound right now. */
export async function isPortFree(port: number): Promise<boolean> {
  try {
    await close(await listen(port));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return false;
    throw err;
  }
}

/** Throw a ProvisionError if 127.0.0.1:`port` is already taken (e.g. by a process a killed run left behind). */
export async function assertPortFree(port: number): Promise<void> {
  if (!(await isPortFree(port))) {
    throw new ProvisionError(
      `port ${port} on 127.0.0.1 is in use (a leftover backend? find it with: ss -ltnp 'sport = :${port}')`,
    );
  }
}
