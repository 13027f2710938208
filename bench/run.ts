/**
 * `npm run bench`: the checker benchmark (bench/checker.ts), the harness benchmark (bench/harness.ts) and the
 * transactional checker benchmark (bench/txn.ts), each in its own child process, combined into one JSON document
 * on stdout. Progress from all goes to stderr.
 *
 *   npm run bench                          all three
 *   npm run bench -- --only checker        one of them (checker | harness | txn)
 *   npm run bench -- --quick               passed to all (smaller checker cases, shorter harness runs, txn 10k/100k)
 *   npm run bench -- --filter cas          passed to the checker benchmark
 *   npm run bench -- --no-build            passed to the harness benchmark (use dist/ as it is)
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);

function flagValue(name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} expects a value`);
  return v;
}

const SECTIONS = ['checker', 'harness', 'txn'];
const only = flagValue('--only');
if (only !== undefined && !SECTIONS.includes(only)) {
  process.stderr.write(`--only expects one of ${SECTIONS.join(', ')}, got ${JSON.stringify(only)}\n`);
  process.exit(2);
}
const quick = args.includes('--quick') ? ['--quick'] : [];
const filter = flagValue('--filter');

function child(file: string, childArgs: string[]): unknown {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(HERE, file), ...childArgs], {
    cwd: join(HERE, '..'),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out) as unknown;
}

const result: { checker?: unknown; harness?: unknown; txn?: unknown } = {};
if (only === undefined || only === 'checker') result.checker = child('checker.ts', [...quick, ...(filter !== undefined ? ['--filter', filter] : [])]);
if (only === undefined || only === 'harness') result.harness = child('harness.ts', [...quick, ...(args.includes('--no-build') ? ['--no-build'] : [])]);
if (only === undefined || only === 'txn') result.txn = child('txn.ts', quick);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
