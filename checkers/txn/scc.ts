/**
 * Strongly connected components (txn-anomalies.md §5.1): every dependency cycle lies inside one component, so
 * each non-trivial component is an independent cycle-search task. Tarjan's algorithm with an explicit call stack
 * (a million-txn chain would overflow JavaScript's stack if recursive), restricted to the edges whose kinds meet a
 * mask so the same code projects a component onto one model's edges.
 */
import type { Csr } from './graph.js';
import { EdgeKind } from './types.js';

/** Every node's component, numbered in reverse topological order: if X reaches Y (X ≠ Y) then id(X) > id(Y). */
export interface ComponentLabels {
  /** comp[v] = component id of node v. */
  comp: Int32Array;
  /** Number of components (trivial ones included). */
  count: number;
  /** size[c] = number of nodes in component c. */
  size: Int32Array;
}

/** Index of a node already assigned to a component: never below any low-link. */
const DONE = 0x7fffffff;

/**
 * Label every node of `g` with its strongly connected component, following only edges with `kinds & mask`
 * (the implicit process and realtime edges too, when the mask has their bits).
 */
export function componentLabels(g: Csr, mask: number): ComponentLabels {
  const { n, offsets, targets, kinds } = g;
  const procNext = mask & EdgeKind.process ? g.procNext : undefined;
  const rt = mask & EdgeKind.realtime ? g.realtime : undefined;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n); // low-link while on the stack, then the component id
  const stack = new Int32Array(n); // Tarjan's stack of visited, unassigned nodes
  const callNode = new Int32Array(n); // explicit DFS stack: node and how many of its edges were looked at
  const callEdge = new Uint32Array(n);
  let next = 0;
  let sp = 0;
  let count = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    index[root] = low[root] = next++;
    stack[sp++] = root;
    callNode[0] = root;
    callEdge[0] = 0;
    let cp = 1;
    while (cp > 0) {
      const v = callNode[cp - 1]!;
      let i = callEdge[cp - 1]!;
      // v's edges in order: CSR edges, its process successor, its realtime range.
      const base = offsets[v]!;
      const dc = offsets[v + 1]! - base;
      const pn = procNext ? procNext[v]! : -1;
      const dp = dc + (pn >= 0 ? 1 : 0);
      const lo = rt ? rt.lo[v]! : 0;
      const total = rt ? dp + Math.max(0, rt.hi[v]! - lo) : dp;
      let descended = false;
      while (i < total) {
        let w: number;
        if (i < dc) {
          const e = base + i++;
          if ((kinds[e]! & mask) === 0) continue;
          w = targets[e]!;
        } else if (i < dp) {
          i++;
          w = pn;
        } else {
          w = lo + (i++ - dp);
        }
        const iw = index[w]!;
        if (iw === -1) {
          callEdge[cp - 1] = i;
          index[w] = low[w] = next++;
          stack[sp++] = w;
          callNode[cp] = w;
          callEdge[cp] = 0;
          cp++;
          descended = true;
          break;
        }
        // Assigned nodes have index DONE, so only nodes still on Tarjan's stack can lower v's low-link.
        if (iw < low[v]!) low[v] = iw;
      }
      if (descended) continue;
      cp--;
      if (low[v] === index[v]) {
        let w: number;
        do {
          w = stack[--sp]!;
          low[w] = count;
          index[w] = DONE;
        } while (w !== v);
        count++;
      } else {
        // Not a root: the parent (there is one) inherits v's low-link.
        const u = callNode[cp - 1]!;
        if (low[v]! < low[u]!) low[u] = low[v]!;
      }
    }
  }
  const comp = low;
  const size = new Int32Array(count);
  for (let v = 0; v < n; v++) size[comp[v]!]!++;
  return { comp, count, size };
}

/**
 * The components with two or more nodes (self-edges never exist, so only these hold cycles), each as ascending
 * node ids; components are listed in reverse topological order.
 */
export function nontrivialComponents(g: Csr, mask: number, labels: ComponentLabels = componentLabels(g, mask)): Int32Array[] {
  const { comp, count, size } = labels;
  const slot = new Int32Array(count).fill(-1);
  const out: Int32Array[] = [];
  for (let c = 0; c < count; c++) {
    if (size[c]! >= 2) {
      slot[c] = out.length;
      out.push(new Int32Array(size[c]!));
    }
  }
  if (out.length === 0) return out;
  const fill = new Int32Array(out.length);
  for (let v = 0; v < comp.length; v++) {
    const s = slot[comp[v]!]!;
    if (s >= 0) out[s]![fill[s]!++] = v;
  }
  return out;
}
