/**
 * Running the built `faultline` CLI from e2e tests, each test with a fresh store directory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');
export const bin = join(root, 'dist/harness/cli.js');

/** What a finished CLI run printed and how it exited. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to completion in the repository root, as CI would (`CI=true`: plain progress lines). */
export function faultline(args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root, env: { ...process.env, CI: 'true', ...env }, timeout: 120_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Mocha hooks: fail clearly when the CLI is not built, and give each test its own store; returns a getter. */
export function useStore(): () => string {
  let store = '';
  before(function () {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run "npm run build" (npm test does) before the e2e tests`);
  });
  beforeEach(() => (store = mkdtempSync(join(tmpdir(), 'faultline-e2e-store-'))));
  afterEach(() => rmSync(store, { recursive: true, force: true }));
  return () => store;
}
