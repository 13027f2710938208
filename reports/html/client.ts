/**
 * The report's browser script, as a string inlined into report.html (tsc does not copy .js assets). Plain ES2019,
 * no template literals, so it can live inside this TS template. It reads the embedded columnar JSON, draws the
 * timeline on one canvas (merging sub-pixel bars per lane per pixel column), builds the uPlot charts, wires
 * anomaly clicks to highlighting, and exposes `window.faultlineReport` for tests.
 */
export const REPORT_CLIENT_JS = String.raw`
(function () {
  'use strict';
  var api = { lanes: [], highlighted: [], opCount: 0, ready: false, error: null };
  window.faultlineReport = api;
  var D = JSON.parse(document.getElementById('report-data').textContent);
  api.lanes = D.lanes.slice();
  api.opCount = D.opCount;

  // ---- decode columns ----
  var B = D.bars, n = B.lane.length;
  var start = new Float64Array(n), end = new Float64Array(n), idx = new Float64Array(n);
  var s = 0, ix = 0, maxDur = 0;
  for (var i = 0; i < n; i++) {
    s += B.dStart[i]; start[i] = s;
    ix += B.dIdx[i]; idx[i] = ix;
    end[i] = B.dur[i] < 0 ? D.tEnd : s + B.dur[i];
    if (end[i] - start[i] > maxDur) maxDur = end[i] - start[i];
  }
  var byIndex = new Map();
  for (i = 0; i < n; i++) { byIndex.set(idx[i], i); if (B.cOff[i] > 0) byIndex.set(idx[i] + B.cOff[i], i); }
  var laneBars = D.lanes.map(function () { return []; });
  for (i = 0; i < n; i++) laneBars[B.lane[i]].push(i);
  var isUs = D.unit === 'us';
  var COLORS = ['#2e9d4f', '#d33a3a', '#e0a21b', '#e0a21b'];
  var TYPES = ['ok', 'fail', 'info', 'info'];
  var FAULT_COLORS = ['rgba(120,80,200,0.13)', 'rgba(30,130,200,0.13)', 'rgba(200,90,30,0.13)', 'rgba(30,160,120,0.13)', 'rgba(200,40,120,0.13)', 'rgba(120,120,120,0.15)'];
  function faultColor(label) { var h = 0; for (var k = 0; k < label.length; k++) h = (h * 31 + label.charCodeAt(k)) | 0; return FAULT_COLORS[Math.abs(h) % FAULT_COLORS.length]; }

  function fmtT(t) {
    if (!isUs) return '#' + Math.round(t);
    var ms = t / 1000;
    if (Math.abs(ms) < 1) return (t).toFixed(0) + ' µs';
    if (Math.abs(ms) < 1000) return ms.toFixed(ms < 10 ? 2 : 1) + ' ms';
    return (ms / 1000).toFixed(3) + ' s';
  }
  function fmtDur(t) { return isUs ? fmtT(t) : Math.round(t) + ' positions'; }

  // ---- timeline ----
  var canvas = document.querySelector('canvas[data-testid="timeline"]');
  var tip = document.getElementById('tip');
  var ctx = canvas.getContext('2d');
  var GUT = 78, AX = 22, laneH = Math.max(12, Math.min(26, Math.floor(520 / Math.max(1, D.lanes.length))));
  var W = 0, H = 0, plotW = 0;
  var full0 = 0, full1 = Math.max(1, D.tEnd) * 1.01;
  var v0 = full0, v1 = full1;
  var hl = new Set(), hlBars = [];
  var mark = null;

  function size() {
    var dpr = window.devicePixelRatio || 1;
    W = Math.max(300, canvas.parentNode.clientWidth);
    H = AX + D.lanes.length * laneH + 6;
    canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    canvas.style.height = H + 'px';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    plotW = Math.max(10, W - GUT - 8);
    mark = new Uint16Array(plotW * Math.max(1, D.lanes.length) * 3);
  }
  function X(t) { return GUT + (t - v0) / (v1 - v0) * plotW; }
  function T(x) { return v0 + (x - GUT) / plotW * (v1 - v0); }

  function niceStep(span, target) {
    var raw = span / target, p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = [1, 2, 5, 10];
    for (var k = 0; k < m.length; k++) if (m[k] * p >= raw) return m[k] * p;
    return 10 * p;
  }

  function draw() {
    ctx.clearRect(0, 0, W, H);
    var top = AX, bottom = AX + D.lanes.length * laneH;
    // fault windows across all lanes
    ctx.save();
    ctx.beginPath(); ctx.rect(GUT, 0, plotW, H); ctx.clip();
    var lastLabelX = -1e9;
    D.faults.forEach(function (f) {
      if (f.end < v0 || f.start > v1) return;
      var x0 = X(f.start), x1 = Math.max(X(f.end), x0 + 2);
      ctx.fillStyle = faultColor(f.label);
      ctx.fillRect(x0, top, x1 - x0, bottom - top);
      ctx.fillStyle = '#5b4a8a'; ctx.font = '10px system-ui, sans-serif';
      var lx = Math.max(x0, GUT) + 2;
      if (lx > lastLabelX + 4) { ctx.fillText(f.label, lx, 9); lastLabelX = lx + ctx.measureText(f.label).width; }
      ctx.fillRect(x0, 11, Math.max(1, x1 - x0), 2);
    });
    ctx.restore();
    // lanes
    ctx.font = '11px system-ui, sans-serif';
    for (var l = 0; l < D.lanes.length; l++) {
      var y = top + l * laneH;
      ctx.fillStyle = '#e8ebee'; ctx.fillRect(GUT, y + laneH - 1, plotW, 1);
      ctx.fillStyle = '#333'; ctx.fillText(/^-?\d/.test(D.lanes[l]) ? 'process ' + D.lanes[l] : D.lanes[l], 4, y + laneH / 2 + 4);
    }
    // bars: wide ones directly, sub-pixel ones merged per lane per pixel column
    mark.fill(0);
    var paths = [new Path2D(), new Path2D(), new Path2D()];
    var bh = Math.max(4, laneH - 6), minT = v0 - maxDur;
    var lo = 0, hi = n;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (start[mid] < minT) lo = mid + 1; else hi = mid; }
    for (i = lo; i < n; i++) {
      if (start[i] > v1) break;
      if (end[i] < v0) continue;
      var a = X(start[i]), b = X(end[i]), ty = B.type[i], c = ty === 3 ? 2 : ty;
      if (b - a >= 1) {
        var ca = Math.max(a, GUT - 1), cb = Math.min(b, GUT + plotW + 1);
        paths[c].rect(ca, top + B.lane[i] * laneH + 3, cb - ca, bh);
      } else {
        var col = Math.floor(a - GUT);
        if (col >= 0 && col < plotW) { var cell = (B.lane[i] * plotW + col) * 3 + c; if (mark[cell] < 65535) mark[cell]++; }
      }
    }
    for (l = 0; l < D.lanes.length; l++) {
      // a merged column takes the colour of its most frequent outcome; minority fail/info show as thin strips
      var base = l * plotW * 3, yy = top + l * laneH + 3, runC = -1, runS = 0;
      for (var x = 0; x <= plotW; x++) {
        var cc = -1;
        if (x < plotW) {
          var o3 = base + x * 3, nO = mark[o3], nF = mark[o3 + 1], nI = mark[o3 + 2];
          if (nO + nF + nI > 0) {
            cc = nF >= nO && nF >= nI ? 1 : nI >= nO ? 2 : 0;
            if (nF > 0 && cc !== 1) paths[1].rect(GUT + x, yy, 1, 2);
            if (nI > 0 && cc !== 2) paths[2].rect(GUT + x, yy + bh - 2, 1, 2);
          }
        }
        if (cc !== runC) {
          if (runC >= 0) paths[runC].rect(GUT + runS, yy + (runC === 0 ? 0 : 0), x - runS, bh);
          runC = cc; runS = x;
        }
      }
    }
    for (var k = 0; k < 3; k++) { ctx.fillStyle = COLORS[k]; ctx.fill(paths[k]); }
    // highlighted ops: dim the rest, draw them outlined and at least 4 px wide
    if (hlBars.length) {
      ctx.fillStyle = 'rgba(255,255,255,0.6)'; ctx.fillRect(GUT, top, plotW, bottom - top);
      hlBars.forEach(function (j) {
        var a2 = X(start[j]), b2 = Math.max(X(end[j]), a2 + 4), y2 = top + B.lane[j] * laneH + 1;
        ctx.fillStyle = COLORS[B.type[j]]; ctx.fillRect(a2, y2, b2 - a2, laneH - 2);
        ctx.strokeStyle = '#0d47a1'; ctx.lineWidth = 2; ctx.strokeRect(a2 - 1, y2 - 1, b2 - a2 + 2, laneH);
      });
    }
    // time axis
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, GUT, AX);
    ctx.fillStyle = '#66707a'; ctx.font = '10px system-ui, sans-serif';
    var step = niceStep(v1 - v0, Math.max(2, plotW / 110));
    if (!isUs) step = Math.max(1, step);
    for (var t = Math.ceil(v0 / step) * step; t <= v1; t += step) {
      var tx = X(t);
      ctx.fillRect(tx, AX - 5, 1, 5);
      ctx.fillText(fmtT(t), tx + 2, AX - 7);
    }
    ctx.fillRect(GUT, AX - 1, plotW, 1);
  }

  var pending = false;
  function redraw() { if (!pending) { pending = true; requestAnimationFrame(function () { pending = false; draw(); }); } }

  function clampView() {
    var span = v1 - v0, fullSpan = full1 - full0, minSpan = isUs ? 5 : 2;
    if (span > fullSpan) { v0 = full0; v1 = full1; return; }
    if (span < minSpan) { var c = (v0 + v1) / 2; v0 = c - minSpan / 2; v1 = c + minSpan / 2; span = minSpan; }
    if (v0 < full0 - span * 0.5) { v0 = full0 - span * 0.5; v1 = v0 + span; }
    if (v1 > full1 + span * 0.5) { v1 = full1 + span * 0.5; v0 = v1 - span; }
  }
  canvas.addEventListener('wheel', function (e) {
    e.preventDefault();
    var r = canvas.getBoundingClientRect(), tm = T(e.clientX - r.left);
    var f = Math.exp((e.deltaY || e.deltaX) * 0.0015);
    v0 = tm - (tm - v0) * f; v1 = tm + (v1 - tm) * f; clampView(); redraw();
  }, { passive: false });
  var drag = null;
  canvas.addEventListener('mousedown', function (e) { drag = { x: e.clientX, v0: v0, v1: v1 }; canvas.classList.add('dragging'); tip.style.display = 'none'; });
  window.addEventListener('mouseup', function () { drag = null; canvas.classList.remove('dragging'); });
  canvas.addEventListener('dblclick', function () { v0 = full0; v1 = full1; redraw(); });
  window.addEventListener('mousemove', function (e) {
    if (!drag) return;
    var dt = (e.clientX - drag.x) / plotW * (drag.v1 - drag.v0);
    v0 = drag.v0 - dt; v1 = drag.v1 - dt; clampView(); redraw();
  });
  canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  canvas.addEventListener('mousemove', function (e) {
    if (drag) return;
    var r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    var l = Math.floor((y - AX) / laneH), text = null;
    if (x >= GUT && l >= 0 && l < D.lanes.length) {
      var tm = T(x), tol = 3 / plotW * (v1 - v0), list = laneBars[l], lo = 0, hi = list.length;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (start[list[mid]] <= tm + tol) lo = mid + 1; else hi = mid; }
      for (var k = lo - 1; k >= 0 && k >= lo - 50; k--) {
        var j = list[k];
        if (end[j] >= tm - tol) { text = describeBar(j); break; }
      }
    }
    if (!text && x >= GUT && y >= 0) {
      var tm2 = T(x);
      for (var q = 0; q < D.faults.length; q++) {
        var f = D.faults[q];
        if (tm2 >= f.start && tm2 <= Math.max(f.end, f.start + 2 / plotW * (v1 - v0))) {
          text = 'fault ' + f.label + (f.targets ? ' on ' + f.targets : '') + '\n' + fmtT(f.start) + ' → ' + fmtT(f.end) + ' (' + fmtDur(f.end - f.start) + ')\nhistory ops ' + f.ops.join(', ') + (f.error ? '\nerror: ' + f.error : '');
          break;
        }
      }
    }
    if (!text) { tip.style.display = 'none'; return; }
    tip.textContent = text;
    tip.style.display = 'block';
    var tx = e.clientX + 14, ty = e.clientY + 14;
    if (tx + tip.offsetWidth > window.innerWidth - 4) tx = Math.max(4, e.clientX - tip.offsetWidth - 14);
    if (ty + tip.offsetHeight > window.innerHeight - 4) ty = Math.max(4, e.clientY - tip.offsetHeight - 14);
    tip.style.left = tx + 'px'; tip.style.top = ty + 'px';
  });
  function describeBar(j) {
    var ty = B.type[j], never = B.dur[j] < 0;
    var head = '#' + idx[j] + (B.cOff[j] > 0 ? ' → #' + (idx[j] + B.cOff[j]) : '') + '  ' + (/^-?\d/.test(D.lanes[B.lane[j]]) ? 'process ' : '') + D.lanes[B.lane[j]] + '  ' + D.fs[B.f[j]] + '  ' + (never ? 'info (never completed)' : ty === 3 ? 'info (no invocation)' : TYPES[ty]);
    var lines = [head, 'invoked ' + fmtT(start[j]) + (never ? '' : ', took ' + fmtDur(end[j] - start[j]))];
    lines.push((B.cOff[j] > 0 || never ? 'invoke:   ' : 'record:   ') + B.inv[j]);
    if (B.cmp[j]) lines.push('complete: ' + B.cmp[j] + '  (fields not shown are as invoked)');
    return lines.join('\n');
  }

  function highlight(ops) {
    api.highlighted = ops.slice();
    hl = new Set(ops);
    var seen = new Set();
    hlBars = [];
    ops.forEach(function (o) { var j = byIndex.get(o); if (j !== undefined && !seen.has(j)) { seen.add(j); hlBars.push(j); } });
    if (hlBars.length) {
      var a = Infinity, b = -Infinity;
      hlBars.forEach(function (j) { a = Math.min(a, start[j]); b = Math.max(b, end[j]); });
      var span = Math.max(b - a, isUs ? 200 : 4), pad = span * 0.25;
      v0 = a - pad; v1 = b + pad; clampView();
    }
    draw();
  }
  api.highlight = highlight;

  document.querySelectorAll('li[data-testid="anomaly"]').forEach(function (li) {
    li.addEventListener('click', function (e) {
      if (e.target && e.target.closest && e.target.closest('a')) return;
      document.querySelectorAll('li[data-testid="anomaly"].selected').forEach(function (o) { o.classList.remove('selected'); });
      li.classList.add('selected');
      var ops = (li.getAttribute('data-ops') || '').split(',').filter(function (x) { return x !== ''; }).map(Number);
      highlight(ops);
      var r = canvas.getBoundingClientRect();
      if (r.bottom < 0 || r.top > window.innerHeight) canvas.scrollIntoView({ block: 'center' });
    });
  });
  var clear = document.getElementById('clear-highlight');
  if (clear) clear.addEventListener('click', function () { document.querySelectorAll('li[data-testid="anomaly"].selected').forEach(function (o) { o.classList.remove('selected'); }); highlight([]); v0 = full0; v1 = full1; draw(); });

  // ---- charts (uPlot) ----
  function faultShade(u) {
    var c = u.ctx;
    c.save();
    D.faults.forEach(function (f) {
      var x0 = u.valToPos(f.start / 1e6, 'x', true), x1 = u.valToPos(f.end / 1e6, 'x', true);
      c.fillStyle = faultColor(f.label);
      c.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
    });
    c.restore();
  }
  var charts = [];
  function chartWidth() { return Math.max(300, document.getElementById('charts').clientWidth - 4); }
  function buildCharts() {
    var host = document.getElementById('charts');
    if (!isUs || typeof uPlot === 'undefined' || D.latency.t.length === 0) return;
    var palette = ['#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#ad1457', '#5d4037', '#455a64'];
    // latency: scatter per f (points only) + quantile lines, on one aligned x axis
    var L = D.latency, pts = [];
    for (var k = 0; k < L.t.length; k++) pts.push(k);
    pts.sort(function (p, q) { return L.t[p] - L.t[q]; });
    var Bk = D.buckets, nb = Bk.t.length, total = pts.length + nb;
    var xs = new Array(total), fsUsed = [], fPos = new Map();
    for (k = 0; k < L.f.length; k++) if (!fPos.has(L.f[k])) { fPos.set(L.f[k], fsUsed.length); fsUsed.push(L.f[k]); }
    var ser = fsUsed.map(function () { return new Array(total).fill(null); });
    var q50 = new Array(total).fill(null), q95 = new Array(total).fill(null), q99 = new Array(total).fill(null);
    var a = 0, bi = 0, o = 0;
    while (a < pts.length || bi < nb) {
      var mt = bi < nb ? (Bk.t[bi] + Bk.width / 2) : Infinity;
      if (a < pts.length && L.t[pts[a]] <= mt) {
        var p = pts[a++];
        xs[o] = L.t[p] / 1e6; ser[fPos.get(L.f[p])][o] = Math.max(0.001, L.ms[p]);
      } else {
        xs[o] = mt / 1e6; q50[o] = Bk.p50[bi]; q95[o] = Bk.p95[bi]; q99[o] = Bk.p99[bi]; bi++;
      }
      o++;
    }
    var series = [{ label: 'time (s)' }];
    fsUsed.forEach(function (fi, j) {
      var col = palette[j % palette.length];
      series.push({ label: D.fs[fi], stroke: col, paths: function () { return null; }, points: { show: true, size: 3, width: 0, fill: col, stroke: col } });
    });
    [['p50', '#000', q50], ['p95', '#555', q95], ['p99', '#999', q99]].forEach(function (q) {
      series.push({ label: q[0] + ' (ok)', stroke: q[1], width: 1.5, spanGaps: true, points: { show: false } });
    });
    var data = [xs].concat(ser).concat([q50, q95, q99]);
    var el1 = document.createElement('div'); el1.className = 'chart'; host.appendChild(el1);
    charts.push(new uPlot({
      title: 'Latency (ms, log scale) by completion time' + (L.sampled ? ' — ' + L.t.length + ' of ' + L.total + ' ops sampled; quantiles use all ok ops' : ''),
      width: chartWidth(), height: 260, scales: { x: { time: false }, y: { distr: 3 } },
      axes: [{ label: 'seconds since start' }, { label: 'ms' }],
      series: series, hooks: { drawClear: [faultShade] }, cursor: { drag: { x: true, y: false } }
    }, data, el1));
    // throughput
    var tx = Bk.t.map(function (t) { return t / 1e6; });
    var el2 = document.createElement('div'); el2.className = 'chart'; host.appendChild(el2);
    charts.push(new uPlot({
      title: 'Throughput (completions per second, buckets of ' + fmtT(Bk.width) + ')', width: chartWidth(), height: 200,
      scales: { x: { time: false } }, axes: [{ label: 'seconds since start' }, { label: 'ops/s' }],
      series: [{ label: 'time (s)' },
        { label: 'ok', stroke: COLORS[0], fill: 'rgba(46,157,79,0.12)', width: 1.5 },
        { label: 'fail', stroke: COLORS[1], width: 1.5 },
        { label: 'info', stroke: COLORS[2], width: 1.5 }],
      hooks: { drawClear: [faultShade] }
    }, [tx, Bk.ok, Bk.fail, Bk.info], el2));
  }

  size();
  draw();
  try { buildCharts(); } catch (err) { api.error = String(err); var h = document.getElementById('charts'); if (h) h.textContent = 'charts unavailable: ' + err; }
  var rt = null;
  window.addEventListener('resize', function () {
    clearTimeout(rt);
    rt = setTimeout(function () { size(); draw(); charts.forEach(function (c) { c.setSize({ width: chartWidth(), height: c.height }); }); }, 100);
  });
  api.ready = true;
})();
`;
