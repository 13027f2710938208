/**
 * What a run might leave behind: backend processes, listening TCP ports and temp dirs. Tests snapshot these before
 * and after a run and assert nothing new remains.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const BACKEND = /redis-server|(^|\/)etcd( |$)|QuorumPeerMain|postgres|faultline-sleeper|client-child\.[jt]s/;

/** pid -> command line of every live backend-looking process. */
export function backendProcesses(): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue; // zombies hold nothing
      if (BACKEND.test(cmd)) out.set(Number(name), cmd);
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Listening TCP ports on IPv4 and IPv6. */
export function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** Temp dirs made by runs (`faultline-<scenario>-*`). */
export function runTmpDirs(): Set<string> {
  return new Set(readdirSync(tmpdir()).filter((n) => /^faultline-(register|my|user|e2e|leak)/.test(n)));
}

/** A snapshot of all three. */
export function snapshot() {
  return { procs: backendProcesses(), ports: listeningPorts(), tmp: runTmpDirs() };
}

/** What is in `after` but not in `before`, as readable strings (empty when nothing leaked). */
export function leaksSince(before: ReturnType<typeof snapshot>): string[] {
  const now = snapshot();
  const out: string[] = [];
  for (const [pid, cmd] of now.procs) if (!before.procs.has(pid)) out.push(`process ${pid}: ${cmd}`);
  for (const p of now.ports) if (!before.ports.has(p)) out.push(`listening port ${p}`);
  for (const d of now.tmp) if (!before.tmp.has(d)) out.push(`temp dir ${d}`);
  return out;
}

/** Polls until `leaksSince(before)` is empty or the time is up (processes take a moment to be reaped). */
export async function waitNoLeaks(before: ReturnType<typeof snapshot>, ms = 5000): Promise<string[]> {
  const end = Date.now() + ms;
  let leaks = leaksSince(before);
  while (leaks.length > 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    leaks = leaksSince(before);
  }
  return leaks;
}
