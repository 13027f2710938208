/**
 * Human explanations of dependency cycles (txn-anomalies.md §9), in Elle's shape: a "Let:" block naming each txn
 * T1..Tn, then one "Ti < Tj, because ..." line per edge, the last one closing the cycle as a contradiction. The
 * per-edge words come from whoever knows why the edge exists (inference for data edges, the graph for process and
 * realtime edges) with `%a` / `%b` standing for the two txns.
 */
import type { Cycle } from './cycles.js';
import type { EdgeKindName, EdgeWhy, Txn } from './types.js';

/** What explaining a cycle needs: how to show a txn and why an edge of a given kind exists. */
export interface CycleExplainer {
  describeTxn(t: Txn): string;
  explainEdge(from: number, to: number, kind: EdgeKindName): EdgeWhy | undefined;
}

/** Replace `%a` / `%b` in an edge text by the names of its two txns. */
export function nameEdgeText(text: string, a: string, b: string): string {
  return text.replace(/%[ab]/g, (m) => (m === '%a' ? a : b));
}

/** A cycle as "Let: ... Then: ... a contradiction!" text plus its steps as data, with T1..Tn substituted. */
export function explainCycle(cycle: Cycle, txns: readonly Txn[], ex: CycleExplainer): { explanation: string; steps: EdgeWhy[] } {
  const n = cycle.nodes.length;
  if (n < 2 || cycle.kinds.length !== n) {
    throw new Error(`explainCycle: expected a cycle of at least 2 txns with one edge kind per txn, got ${n} txns and ${cycle.kinds.length} kinds`);
  }
  const name = (i: number) => `T${i + 1}`;
  const lines = ['Let:'];
  for (let i = 0; i < n; i++) {
    const t = txns[cycle.nodes[i]!];
    if (!t) throw new Error(`explainCycle: cycle names txn ${cycle.nodes[i]}, but there are only ${txns.length} txns`);
    lines.push(`  ${name(i)} = ${ex.describeTxn(t)}`);
  }
  lines.push('Then:');
  const steps: EdgeWhy[] = [];
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const kind = cycle.kinds[i]!;
    const why = ex.explainEdge(cycle.nodes[i]!, cycle.nodes[j]!, kind) ?? { kind, text: `%a precedes %b by a ${kind} dependency` };
    const text = nameEdgeText(why.text, name(i), name(j)).replace(/[.\s]+$/, '');
    steps.push({ ...why, kind, text });
    const last = i === n - 1;
    lines.push(`  - ${last ? 'However, ' : ''}${name(i)} < ${name(j)}, because ${text}${last ? ': a contradiction!' : '.'}`);
  }
  return { explanation: lines.join('\n'), steps };
}
