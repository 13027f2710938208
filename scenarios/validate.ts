/**
 * Edge validation for scenario files and run options (valibot schemas with messages that name the field and list
 * the valid choices), so a typo in a user's scenario is a one-line error, not a stack trace mid-run.
 */
import * as v from 'valibot';
import { FAULT_TARGETS, LINK_MODES } from '../harness/faults/schedule.js';

/** A bad scenario or option; the message names the field, what was wrong and what is accepted. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** A strict object whose unknown-key error lists the keys it accepts. */
export function strict<const E extends v.ObjectEntries>(entries: E) {
  const keys = Object.keys(entries).join(', ');
  return v.strictObject(entries, (issue) =>
    issue.expected === 'never' ? `unknown field ${issue.received} (valid: ${keys})` : `expected an object with fields ${keys}, got ${issue.received}`,
  );
}

/** A closed set of strings whose error lists the choices. */
export function oneOf<const T extends readonly string[]>(choices: T) {
  return v.picklist(choices, (issue) => `got ${issue.received}, expected one of: ${choices.join(', ')}`);
}

const nonNegInt = v.pipe(v.number('expected a number'), v.integer('expected a whole number'), v.minValue(0, 'expected a number >= 0'));
const posInt = v.pipe(v.number('expected a number'), v.integer('expected a whole number'), v.minValue(1, 'expected a number >= 1'));
const msRange = v.pipe(
  v.tuple([nonNegInt, nonNegInt], 'expected [min, max] in milliseconds'),
  v.check(([a, b]) => a <= b, 'expected [min, max] with min <= max'),
);

const target = oneOf(FAULT_TARGETS);

export const faultSchema = v.variant(
  'kind',
  [
    strict({
      kind: v.literal('link'),
      mode: oneOf(LINK_MODES),
      scope: oneOf(['client', 'node'] as const),
      target,
      latencyMs: v.optional(nonNegInt),
      rateKBps: v.optional(nonNegInt),
    }),
    strict({ kind: v.literal('kill'), target }),
    strict({ kind: v.literal('pause'), target, scope: v.optional(oneOf(['node', 'client'] as const)) }),
  ],
  (issue) => `fault kind ${issue.received} is not one of: link, kill, pause`,
);

export const nemesisSchema = strict({
  faults: v.array(faultSchema, 'expected a list of faults'),
  gapMs: v.optional(msRange),
  durationMs: v.optional(msRange),
  quietMs: v.optional(nonNegInt),
});

export const backendSchema = v.variant(
  'kind',
  [
    strict({
      kind: v.literal('redis'),
      topology: oneOf(['single', 'independent', 'replicated'] as const),
      nodes: v.optional(posInt),
      persistence: v.optional(strict({ aof: v.boolean('expected true or false'), appendfsync: v.optional(oneOf(['always', 'everysec', 'no'] as const)) })),
    }),
    strict({ kind: v.literal('etcd'), nodes: v.picklist([1, 3, 5], 'expected 1, 3 or 5 nodes'), heartbeatMs: v.optional(posInt), electionMs: v.optional(posInt) }),
    strict({ kind: v.literal('zookeeper'), nodes: v.picklist([1, 3, 5], 'expected 1, 3 or 5 nodes'), tickMs: v.optional(posInt) }),
    strict({ kind: v.literal('postgres'), nodes: v.optional(v.literal(1, 'expected 1 node')) }),
  ],
  (issue) => `backend kind ${issue.received} is not one of: redis, etcd, zookeeper, postgres`,
);

export const runDefaultsSchema = strict({
  clients: v.optional(posInt),
  timeLimitMs: v.optional(posInt),
  opLimit: v.optional(posInt),
  opTimeoutMs: v.optional(posInt),
  thinkMs: v.optional(msRange),
  clientMode: v.optional(oneOf(['async', 'process'] as const)),
});

/** Formats valibot issues as `field: message` lines under a heading. */
export function formatIssues(heading: string, issues: readonly v.BaseIssue<unknown>[]): string {
  const lines = issues.map((i) => {
    const path = v.getDotPath(i);
    return `  ${path ?? '(top level)'}: ${i.message}`;
  });
  return `${heading}\n${lines.join('\n')}`;
}

/** Parses `value` with `schema` or throws a `ScenarioError` listing every problem. */
export function parseOrThrow<S extends v.GenericSchema>(schema: S, value: unknown, heading: string): v.InferOutput<S> {
  const r = v.safeParse(schema, value);
  if (!r.success) throw new ScenarioError(formatIssues(heading, r.issues));
  return r.output;
}
