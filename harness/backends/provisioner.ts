/**
 * Picks a provisioner by name and answers whether Docker is usable, so the CLI and `doctor` share one check.
 * Provisioners are imported lazily: `containers` pulls in the optional `testcontainers` peer only when chosen.
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import type { Provisioner, ProvisionerName } from './types.js';

/** Every valid `--provisioner` value; `local` (child processes) is the default. */
export const PROVISIONERS: readonly ProvisionerName[] = ['local', 'containers'];

/** An unknown `--provisioner` value: a usage error (exit 64), not a backend failure. */
export class UnknownProvisionerError extends Error {
  override readonly name = 'UnknownProvisionerError';
}

/** Resolves a provisioner by name; an unknown name throws `UnknownProvisionerError` listing the valid ones. */
export async function getProvisioner(name: string): Promise<Provisioner> {
  switch (name) {
    case 'local':
      return (await import('./local.js')).localProvisioner;
    case 'containers':
      return (await import('./containers.js')).containersProvisioner;
    default:
      throw new UnknownProvisionerError(
        `unknown provisioner ${JSON.stringify(name)}: valid provisioners are ${PROVISIONERS.join(', ')}`,
      );
  }
}

/** Result of a Docker probe; `detail` is the server version when ok, else why it failed. */
export interface DockerStatus {
  ok: boolean;
  detail: string;
}

/**
 * Asks the Docker daemon for its version through the `docker` CLI (which honours `DOCKER_HOST` and contexts),
 * within `timeoutMs`; without the CLI, pings the daemon's Unix socket directly. Never throws.
 */
export async function dockerAvailable(opts: { timeoutMs?: number } = {}): Promise<DockerStatus> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const cli = await new Promise<DockerStatus | 'no-cli'>((resolve) => {
    execFile(
      'docker',
      ['version', '--format', '{{.Server.Version}}'],
      { timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return resolve('no-cli');
        const version = String(stdout).trim();
        if (!err && version) return resolve({ ok: true, detail: `Docker ${version}` });
        if (err && (err as { killed?: boolean }).killed) {
          return resolve({ ok: false, detail: `docker version did not answer within ${timeoutMs} ms` });
        }
        const msg = firstLine(String(stderr)) || (err ? err.message : 'docker version printed no server version');
        resolve({ ok: false, detail: msg });
      },
    );
  });
  if (cli !== 'no-cli') return cli;
  const socketPath = dockerSocketPath();
  if (!socketPath) return { ok: false, detail: 'docker CLI not found and DOCKER_HOST is not a unix socket' };
  return pingSocket(socketPath, timeoutMs);
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}

function dockerSocketPath(): string | undefined {
  const host = process.env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

function pingSocket(socketPath: string, timeoutMs: number): Promise<DockerStatus> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(
        res.statusCode === 200
          ? { ok: true, detail: `daemon answers on ${socketPath} (docker CLI not found)` }
          : { ok: false, detail: `daemon on ${socketPath} answered HTTP ${res.statusCode}` },
      );
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, detail: `no answer on ${socketPath} within ${timeoutMs} ms` });
    });
    req.on('error', (err) => resolve({ ok: false, detail: `docker CLI not found; ${socketPath}: ${err.message}` }));
    req.end();
  });
}
