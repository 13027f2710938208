/**
 * The registry of built-in scenarios and the loader for users' scenario files (`faultline run ./my-scenario.ts`).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isScenario, ScenarioError, type Scenario } from './define.js';

/** Built-in scenarios by name, loaded lazily so listing them starts no clients. */
export const BUILTIN_SCENARIOS: Record<string, () => Promise<Scenario>> = {
  'bank-etcd': async () => (await import('./bank-etcd.js')).default,
  'bank-redis-lua': async () => (await import('./bank-redis-lua.js')).default,
  'bank-redis-naive': async () => (await import('./bank-redis-naive.js')).default,
  'bank-redis-watch': async () => (await import('./bank-redis-watch.js')).default,
  'list-append-etcd': async () => (await import('./list-append-etcd.js')).default,
  'list-append-redis': async () => (await import('./list-append-redis.js')).default,
  'txn-pg-read-committed': async () => (await import('./txn-pg-read-committed.js')).default,
  'txn-pg-repeatable-read': async () => (await import('./txn-pg-repeatable-read.js')).default,
  'txn-pg-serializable': async () => (await import('./txn-pg-serializable.js')).default,
  'lock-etcd': async () => (await import('./lock-etcd.js')).default,
  'lock-etcd-pause': async () => (await import('./lock-etcd-pause.js')).default,
  'lock-pg-advisory': async () => (await import('./lock-pg-advisory.js')).default,
  'lock-redis-naive': async () => (await import('./lock-redis-naive.js')).default,
  'lock-redis-token': async () => (await import('./lock-redis-token.js')).default,
  'lock-redis-token-pause': async () => (await import('./lock-redis-token-pause.js')).default,
  'lock-redlock': async () => (await import('./lock-redlock.js')).default,
  'lock-redlock-restart': async () => (await import('./lock-redlock-restart.js')).default,
  'lock-zookeeper': async () => (await import('./lock-zookeeper.js')).default,
  'register-etcd': async () => (await import('./register-etcd.js')).default,
  'register-redis': async () => (await import('./register-redis.js')).default,
};

/** Names of the built-in scenarios, sorted. */
export function scenarioNames(): string[] {
  return Object.keys(BUILTIN_SCENARIOS).sort();
}

/** True when `ref` names a file rather than a built-in scenario. */
export function isScenarioFile(ref: string): boolean {
  return /\.(m?[jt]s|cjs|cts)$/.test(ref) || ref.includes('/');
}

/**
 * A built-in scenario by name, or the scenario a `.ts`/`.js` file exports (as `default` or `scenario`). TypeScript
 * files are loaded through tsx, so users need no build step.
 */
export async function loadScenario(ref: string): Promise<Scenario> {
  if (!isScenarioFile(ref)) {
    const load = BUILTIN_SCENARIOS[ref];
    if (!load) throw new ScenarioError(`unknown scenario ${JSON.stringify(ref)}; built-in scenarios: ${scenarioNames().join(', ')} (or give a path to a scenario file, e.g. ./my-scenario.ts)`);
    return load();
  }
  const file = resolve(ref);
  if (!existsSync(file)) throw new ScenarioError(`scenario file not found: ${file}`);
  let mod: Record<string, unknown>;
  try {
    if (/\.(m?ts|cts)$/.test(file)) {
      const { tsImport } = await import('tsx/esm/api');
      mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
    } else {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    }
  } catch (err) {
    if (err instanceof ScenarioError || (err as Error)?.name === 'ScenarioError') throw new ScenarioError(`${file}: ${(err as Error).message}`);
    throw new ScenarioError(`could not load scenario file ${file}: ${(err as Error)?.message ?? String(err)}`);
  }
  const candidate = mod.default ?? mod.scenario;
  // A default export may itself be wrapped by the loader (CommonJS interop).
  const unwrapped = isScenario(candidate) ? candidate : (candidate as { default?: unknown } | undefined)?.default;
  if (!isScenario(unwrapped)) {
    throw new ScenarioError(`${file} must export a scenario made with defineScenario(...) as its default export (or as "scenario"); found exports: ${Object.keys(mod).join(', ') || 'none'}`);
  }
  return unwrapped;
}
