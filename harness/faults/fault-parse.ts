/**
 * The `--nemesis` flag: a comma-separated list of faults such as `kill:leader,pause:one,link-down:client:minority`,
 * or `none`. Each item is `<fault>[:<scope>][:<target>]`; unknown words get an error listing the valid ones.
 */
import { UsageError } from '../cli-values.js';
import { FAULT_TARGETS, LINK_MODES, type FaultSpec, type FaultTarget, type LinkMode } from './schedule.js';

const FAULT_WORDS = ['kill', 'pause', ...LINK_MODES.map((m) => `link-${m}`)];

/** Parses the flag; `null` means "no faults". */
export function parseNemesisFlag(text: string): FaultSpec[] | null {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`--nemesis expects a list such as kill:leader,link-down:client:one, or none`);
  if (items.length === 1 && items[0] === 'none') return null;
  return items.map(parseFault);
}

function parseFault(item: string): FaultSpec {
  const [word, ...rest] = item.split(':');
  if (!FAULT_WORDS.includes(word!)) {
    throw new UsageError(`--nemesis: unknown fault ${JSON.stringify(word)} in ${JSON.stringify(item)}; valid: ${FAULT_WORDS.join(', ')} (or none)`);
  }
  let scope: 'client' | 'node' | undefined;
  let target: FaultTarget | undefined;
  for (const part of rest) {
    if (part === 'client' || part === 'node') {
      if (!word!.startsWith('link-') && !(word === 'pause' && part === 'client')) {
        throw new UsageError(`--nemesis: ${word} acts on nodes; "${part}" scope applies only to link-* faults (and pause:client)`);
      }
      scope = part;
    } else if ((FAULT_TARGETS as readonly string[]).includes(part)) {
      target = part as FaultTarget;
    } else {
      throw new UsageError(`--nemesis: unknown word ${JSON.stringify(part)} in ${JSON.stringify(item)}; scopes: client, node; targets: ${FAULT_TARGETS.join(', ')}`);
    }
  }
  if (target === 'holder' && (word === 'kill' || scope === 'node')) {
    throw new UsageError(`--nemesis: ${item}: "holder" names a client holding a lock; use it as pause:client:holder or link-<mode>:client:holder`);
  }
  if (word === 'kill') return { kind: word, target: target ?? 'one' };
  if (word === 'pause') {
    if (scope === 'client' && (target === 'leader' || target === 'primary')) throw new UsageError(`--nemesis: ${item}: "${target}" names a node, not a client`);
    if (scope !== 'client' && target === 'holder') throw new UsageError(`--nemesis: ${item}: "holder" names a client holding a lock: write pause:client:holder`);
    return scope === 'client' ? { kind: 'pause', target: target ?? 'one', scope } : { kind: 'pause', target: target ?? 'one' };
  }
  const mode = word!.slice('link-'.length) as LinkMode;
  const s = scope ?? 'client';
  if (s === 'client' && (target === 'leader' || target === 'primary')) {
    throw new UsageError(`--nemesis: ${item}: "${target}" names a node; use ${word}:node:${target}`);
  }
  return { kind: 'link', mode, scope: s, target: target ?? 'one' };
}
