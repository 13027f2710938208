/**
 * Small static SVG drawings for anomalies, rendered in Node: a linearizability failure as the tail of the longest
 * linearizable prefix plus the op(s) that could not be placed (Porcupine-style, per-process lanes in real time),
 * and a transaction cycle as nodes on a circle with labelled dependency edges.
 */
import type { Op } from '../../checkers/history/types.js';
import type { Anomaly } from '../../checkers/result.js';
import type { Paired } from './embed.js';

/** HTML/XML text and attribute escaping. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const trunc = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function short(v: unknown): string {
  try {
    return v === undefined ? '' : JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function opLabel(op: Op | undefined, fallback: string): string {
  if (!op) return fallback;
  const key = op.key !== undefined ? ` ${short(op.key)}` : '';
  return `${op.f}${key} ${short(op.value)}`;
}

const PREFIX_TAIL = 12;

/** Porcupine-style drawing of a `nonlinearizable` anomaly; '' when it carries no prefix. */
export function linearizabilitySvg(a: Anomaly, p: Paired): string {
  const prefix = Array.isArray(a.prefix) ? (a.prefix as unknown[]).filter((x): x is number => typeof x === 'number') : undefined;
  if (!prefix) return '';
  const next = Array.isArray(a.next) ? (a.next as { index?: unknown; legal?: unknown; op?: unknown }[]) : [];
  const blocking = typeof a.blocking === 'number' ? a.blocking : undefined;
  const tail = prefix.slice(-PREFIX_TAIL);
  interface Item {
    index: number;
    role: 'prefix' | 'legal' | 'illegal' | 'blocking';
    order?: number;
    label?: string;
  }
  const items: Item[] = tail.map((index, i) => ({ index, role: 'prefix', order: prefix.length - tail.length + i + 1 }));
  for (const n of next) {
    if (typeof n.index !== 'number') continue;
    items.push({ index: n.index, role: n.index === blocking ? 'blocking' : n.legal ? 'legal' : 'illegal', label: typeof n.op === 'string' ? n.op : undefined });
  }
  if (blocking !== undefined && !items.some((it) => it.index === blocking)) items.push({ index: blocking, role: 'blocking' });
  for (const i of a.ops) if (!items.some((it) => it.index === i)) items.push({ index: i, role: 'illegal' });

  // Place each op on its process lane at its real-time interval.
  const placed = items.map((it) => {
    const b = p.bars[p.barOfIndex.get(it.index) ?? -1];
    const op = p.opOfIndex.get(it.index);
    return { ...it, bar: b, process: op ? String(op.process) : b ? p.lanes[b.lane]! : '?', text: it.label ?? opLabel(b?.complete ?? op, `#${it.index}`) };
  });
  const times = placed.flatMap((x) => (x.bar ? [x.bar.start, x.bar.end < 0 ? x.bar.start : x.bar.end] : []));
  let t0 = times.length ? Math.min(...times) : 0;
  let t1 = times.length ? Math.max(...times) : 1;
  if (t1 <= t0) t1 = t0 + 1;
  const pad = (t1 - t0) * 0.04;
  t0 -= pad;
  t1 += pad * 4;
  const procs = [...new Set(placed.map((x) => x.process))].sort((x, y) => (Number(x) - Number(y)) || x.localeCompare(y));
  const W = 760;
  const gutter = 70;
  const laneH = 34;
  const top = 22;
  const H = top + procs.length * laneH + 28;
  const X = (t: number) => gutter + ((t - t0) / (t1 - t0)) * (W - gutter - 10);
  const fill = { prefix: '#cde8d2', legal: '#fde7b0', illegal: '#f6c4c4', blocking: '#f6c4c4' } as const;
  const stroke = { prefix: '#2e7d32', legal: '#b7791f', illegal: '#c62828', blocking: '#b71c1c' } as const;
  const parts: string[] = [];
  parts.push(`<svg class="lin-svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="longest linearizable prefix and the op that could not be placed">`);
  parts.push(`<text x="4" y="14" class="svg-cap">Linearization order (last ${tail.length} of ${prefix.length} prefix ops, numbered); red: could not be placed; amber: possible next but every order after it fails</text>`);
  procs.forEach((pr, i) => {
    const y = top + i * laneH;
    parts.push(`<line x1="${gutter}" x2="${W - 4}" y1="${y + laneH}" y2="${y + laneH}" stroke="#ddd"/>`);
    parts.push(`<text x="4" y="${y + laneH / 2 + 4}" class="svg-lane">process ${esc(pr)}</text>`);
  });
  const centres: [number, number][] = [];
  for (const x of placed) {
    const lane = procs.indexOf(x.process);
    const y = top + lane * laneH + 6;
    const s = x.bar ? X(x.bar.start) : gutter;
    const e = x.bar ? (x.bar.end < 0 ? W - 10 : Math.max(X(x.bar.end), s + 6)) : s + 40;
    const w = Math.max(6, e - s);
    const sw = x.role === 'blocking' ? 2.5 : 1.2;
    parts.push(`<g><title>${esc(`#${x.index} process ${x.process}: ${x.text} (${x.role === 'prefix' ? `linearized #${x.order}` : x.role === 'blocking' ? 'could not be placed' : x.role === 'legal' ? 'possible next, but every order after it fails' : 'impossible here'})`)}</title>`);
    parts.push(`<rect x="${s.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${laneH - 12}" rx="3" fill="${fill[x.role]}" stroke="${stroke[x.role]}" stroke-width="${sw}"/>`);
    parts.push(`<text x="${(s + 3).toFixed(1)}" y="${y + laneH / 2 - 1}" class="svg-op">${esc(trunc(`#${x.index} ${x.text}`, Math.max(4, Math.floor(w / 6.2))))}</text></g>`);
    if (x.role === 'prefix') centres.push([s + w / 2, y + (laneH - 12) / 2]);
    if (x.order !== undefined) {
      const cx = s + w / 2;
      parts.push(`<circle cx="${cx.toFixed(1)}" cy="${y - 1}" r="7" fill="#2e7d32"/><text x="${cx.toFixed(1)}" y="${y + 2}" class="svg-ord" text-anchor="middle">${x.order}</text>`);
    }
  }
  if (centres.length > 1) parts.push(`<polyline points="${centres.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}" fill="none" stroke="#2e7d32" stroke-dasharray="3 3" opacity="0.6"/>`);
  parts.push(`<text x="${gutter}" y="${H - 8}" class="svg-cap">${esc(typeof a.state === 'string' ? `state after the prefix: ${trunc(a.state, 90)}` : '')}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** A transaction cycle as a small graph: T1…Tn on a circle, arrows labelled with kind and key. '' without steps. */
export function cycleSvg(a: Anomaly, p: Paired): string {
  const steps = Array.isArray(a.steps) ? (a.steps as { kind?: unknown; key?: unknown; value?: unknown; value2?: unknown; text?: unknown }[]) : undefined;
  if (!steps || steps.length === 0) return '';
  const n = a.ops.length || steps.length;
  const R = Math.max(75, n * 24);
  const W = 2 * R + 180;
  const H = 2 * R + 90;
  const cx = W / 2;
  const cy = R + 40;
  const nodeR = 17;
  const pos = Array.from({ length: n }, (_, i) => {
    const ang = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return [cx + R * Math.cos(ang), cy + R * Math.sin(ang)] as const;
  });
  const colour: Record<string, string> = { ww: '#1565c0', wr: '#2e7d32', rw: '#c62828', process: '#6a1b9a', realtime: '#ef6c00' };
  const id = `m${Math.abs(hash(JSON.stringify(a.ops)))}`;
  const parts: string[] = [];
  parts.push(`<svg class="cycle-svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="dependency cycle">`);
  parts.push(`<defs>${Object.entries(colour)
    .map(([k, c]) => `<marker id="${id}-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`)
    .join('')}</defs>`);
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    const kind = typeof s.kind === 'string' ? s.kind : '?';
    const c = colour[kind] ?? '#555';
    const [x1, y1] = pos[i % n]!;
    const [x2, y2] = pos[(i + 1) % n]!;
    const dx = x2 - x1;
    const dy = y2 - y1;
    const len = Math.hypot(dx, dy) || 1;
    // Bend outwards so the two edges of a 2-cycle do not overlap.
    const bend = n === 2 ? 40 : 18;
    const mx = (x1 + x2) / 2 + (dy / len) * -bend;
    const my = (y1 + y2) / 2 + (-dx / len) * -bend;
    const sx = x1 + ((mx - x1) / Math.hypot(mx - x1, my - y1)) * nodeR;
    const sy = y1 + ((my - y1) / Math.hypot(mx - x1, my - y1)) * nodeR;
    const ex = x2 + ((mx - x2) / Math.hypot(mx - x2, my - y2)) * (nodeR + 2);
    const ey = y2 + ((my - y2) / Math.hypot(mx - x2, my - y2)) * (nodeR + 2);
    const label = `${kind}${s.key !== undefined && s.key !== null ? ` ${short(s.key)}` : ''}`;
    parts.push(`<g><title>${esc(`T${i + 1} → T${((i + 1) % n) + 1}: ${typeof s.text === 'string' ? s.text : label}`)}</title>`);
    parts.push(`<path d="M${sx.toFixed(1)},${sy.toFixed(1)} Q${mx.toFixed(1)},${my.toFixed(1)} ${ex.toFixed(1)},${ey.toFixed(1)}" fill="none" stroke="${c}" stroke-width="1.6" marker-end="url(#${id}-${kind in colour ? kind : 'ww'})"/>`);
    // Label at the curve's midpoint, pushed away from the circle's centre so labels of adjacent edges do not collide.
    const qx = 0.25 * x1 + 0.5 * mx + 0.25 * x2;
    const qy = 0.25 * y1 + 0.5 * my + 0.25 * y2;
    const od = Math.hypot(qx - cx, qy - cy) || 1;
    const lx = qx + ((qx - cx) / od) * 14;
    const ly = qy + ((qy - cy) / od) * 10 + 4;
    parts.push(`<text x="${lx.toFixed(1)}" y="${(ly - 3).toFixed(1)}" class="svg-edge" text-anchor="middle" fill="${c}">${esc(trunc(label, 24))}</text></g>`);
  }
  for (let i = 0; i < n; i++) {
    const [x, y] = pos[i]!;
    const idx = a.ops[i];
    const op = idx !== undefined ? p.opOfIndex.get(idx) : undefined;
    const title = idx !== undefined ? `T${i + 1} = #${idx}${op ? ` process ${String(op.process)}: ${trunc(short(op.value), 300)}` : ''}` : `T${i + 1}`;
    parts.push(`<g><title>${esc(title)}</title><circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${nodeR}" fill="#fff" stroke="#333" stroke-width="1.4"/><text x="${x.toFixed(1)}" y="${(y + 4).toFixed(1)}" text-anchor="middle" class="svg-node">T${i + 1}</text></g>`);
  }
  const legend = a.ops.map((idx, i) => `T${i + 1}=#${idx}`).join('  ');
  parts.push(`<text x="6" y="${H - 8}" class="svg-cap">${esc(trunc(legend, 120))}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}
