/**
 * Hand-written SVG line charts (no dependencies): one or more panels side by side sharing a legend;
 * linear, log or "nines" (-log10(1 - x), for recall) axes; per series a line through its points (markers on them) and optional faint extra
 * points (e.g. the sweep points off the Pareto frontier); optional dashed vertical reference lines.
 */

export interface XY {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  color: string;
  points: XY[];
  /** drawn as small hollow markers without a line */
  faint?: XY[];
  emphasis?: boolean;
}

export type Scale = 'linear' | 'log' | 'nines';

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  /** 'nines' (recall axes): -log10(1 - x), so 0.9, 0.99 and 0.999 are evenly spaced; x >= 0.9999 sits at the right edge */
  xScale?: Scale;
  xLog?: boolean;
  yLog?: boolean;
  /** forced ranges; otherwise from the data */
  xRange?: [number, number];
  yRange?: [number, number];
  series: Series[];
  vlines?: Array<{ x: number; label: string }>;
  hlines?: Array<{ y: number; label: string }>;
}

export interface Chart {
  title: string;
  subtitle?: string;
  panels: Panel[];
  panelWidth?: number;
  panelHeight?: number;
}

const PALETTE: Record<string, string> = {
  hnswlib: '#1f77b4',
  'usearch-f32': '#ff7f0e',
  'usearch-f16': '#2ca02c',
  'quiver-hnsw': '#d62728',
  'quiver-vamana': '#9467bd',
};
const EXTRA = ['#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#393b79'];

/** A stable colour per system name. */
export function colorFor(name: string, index: number): string {
  return PALETTE[name] ?? EXTRA[index % EXTRA.length];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r2 = (v: number) => Math.round(v * 100) / 100;

/** Compact tick labels: 0.95, 120, 4.5k, 12k, 1.2M. */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  const trim = (s: string) => s.replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1');
  if (a >= 1e6) return `${trim((v / 1e6).toFixed(a >= 1e7 ? 0 : 1))}M`;
  if (a >= 1e3) return `${trim((v / 1e3).toFixed(a >= 1e4 ? 0 : 1))}k`;
  if (a >= 1 || a === 0) return trim(v.toFixed(a >= 100 ? 0 : 1));
  return trim(v.toPrecision(2));
}

function niceStep(span: number, target: number): number {
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
}

function linearTicks(lo: number, hi: number): number[] {
  const step = niceStep(hi - lo, 6);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function logTicks(lo: number, hi: number): number[] {
  const decades = Math.log10(hi / lo);
  const mult = decades > 4 ? [1] : decades > 1.5 ? [1, 2, 5] : [1, 1.5, 2, 3, 5, 7];
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mult) {
      const v = m * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(12)));
    }
  }
  return out;
}

function range(values: number[], log: boolean, forced?: [number, number]): [number, number] {
  if (forced) return forced;
  const v = values.filter((x) => Number.isFinite(x) && (!log || x > 0));
  if (!v.length) return log ? [1, 10] : [0, 1];
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  if (log) {
    if (lo === hi) return [lo / 2, hi * 2];
    return [lo / 1.15, hi * 1.15];
  }
  if (lo === hi) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

const NINES_FLOOR = 1e-4;
const NINES_TICKS = [0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999];

function forward(scale: Scale, v: number): number {
  if (scale === 'log') return Math.log(v);
  if (scale === 'nines') return -Math.log10(Math.max(1 - v, NINES_FLOOR));
  return v;
}

/** Labels for linear ticks: as many decimals as the step needs; thousands as 'k' only when exact. */
function linearLabel(v: number, step: number): string {
  if (step >= 1000 && v % 1000 === 0) return formatTick(v);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function ticks(scale: Scale, lo: number, hi: number): number[] {
  if (scale === 'log') return logTicks(lo, hi);
  if (scale === 'nines') {
    const t = NINES_TICKS.filter((v) => v >= lo - 1e-12 && v <= hi + 1e-12);
    return t.length > 8 ? t.filter((v) => ![0.98, 0.998, 0.9995].includes(v)) : t;
  }
  return linearTicks(lo, hi);
}

function renderPanel(p: Panel, x0: number, y0: number, w: number, h: number): string {
  const m = { left: 64, right: 14, top: 28, bottom: 46 };
  const pw = w - m.left - m.right;
  const ph = h - m.top - m.bottom;
  const xs: Scale = p.xScale ?? (p.xLog ? 'log' : 'linear');
  const ys: Scale = p.yLog ? 'log' : 'linear';
  const all = p.series.flatMap((s) => [...s.points, ...(s.faint ?? [])]);
  const [xlo, xhi] = range(all.map((q) => q.x), xs === 'log', p.xRange);
  const [ylo, yhi] = range(all.map((q) => q.y), ys === 'log', p.yRange);
  const fx0 = forward(xs, xlo);
  const fx1 = forward(xs, xhi);
  const fy0 = forward(ys, ylo);
  const fy1 = forward(ys, yhi);
  const tx = (v: number) => x0 + m.left + ((forward(xs, v) - fx0) / (fx1 - fx0)) * pw;
  const ty = (v: number) => y0 + m.top + ph - ((forward(ys, v) - fy0) / (fy1 - fy0)) * ph;
  const inX = (v: number) => v >= xlo - 1e-12 && (xs === 'nines' || v <= xhi + 1e-12);
  const inY = (v: number) => v >= ylo * (ys === 'log' ? 1 - 1e-9 : 1) - 1e-12 && v <= yhi + 1e-12;
  const out: string[] = [];
  const left = x0 + m.left;
  const top = y0 + m.top;
  out.push(`<text x="${r2(left + pw / 2)}" y="${r2(y0 + 18)}" class="pt">${esc(p.title)}</text>`);
  out.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" class="frame"/>`);
  const xt = ticks(xs, xlo, xhi);
  for (const v of xt) {
    const x = r2(tx(v));
    const label = xs === 'nines' ? String(v) : xs === 'linear' ? linearLabel(v, xt.length > 1 ? xt[1] - xt[0] : 1) : formatTick(v);
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + ph}" class="grid"/>`);
    out.push(`<text x="${x}" y="${top + ph + 16}" class="tx">${esc(label)}</text>`);
  }
  const yt = ticks(ys, ylo, yhi);
  for (const v of yt) {
    const y = r2(ty(v));
    const label = ys === 'linear' ? linearLabel(v, yt.length > 1 ? yt[1] - yt[0] : 1) : formatTick(v);
    out.push(`<line x1="${left}" y1="${y}" x2="${left + pw}" y2="${y}" class="grid"/>`);
    out.push(`<text x="${left - 6}" y="${r2(y + 4)}" class="ty">${esc(label)}</text>`);
  }
  for (const v of p.vlines ?? []) {
    if (!inX(v.x)) continue;
    const x = r2(tx(v.x));
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + ph}" class="ref"/>`);
    out.push(`<text x="${r2(x + 3)}" y="${top + ph - 5}" class="rl">${esc(v.label)}</text>`);
  }
  for (const v of p.hlines ?? []) {
    if (!inY(v.y)) continue;
    const y = r2(ty(v.y));
    out.push(`<line x1="${left}" y1="${y}" x2="${left + pw}" y2="${y}" class="ref"/>`);
    out.push(`<text x="${left + 4}" y="${r2(y + 12)}" class="rl">${esc(v.label)}</text>`);
  }
  out.push(`<text x="${r2(left + pw / 2)}" y="${top + ph + 36}" class="al">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(${r2(x0 + 16)},${r2(top + ph / 2)}) rotate(-90)" class="al">${esc(p.yLabel)}</text>`);
  out.push(`<clipPath id="clip${Math.round(x0)}_${Math.round(y0)}"><rect x="${left}" y="${top}" width="${pw}" height="${ph}"/></clipPath>`);
  out.push(`<g clip-path="url(#clip${Math.round(x0)}_${Math.round(y0)})">`);
  for (const s of p.series) {
    const pts = s.points.filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y) && (xs !== 'log' || q.x > 0) && (ys !== 'log' || q.y > 0));
    for (const q of s.faint ?? []) {
      if (inX(q.x) && inY(q.y)) out.push(`<circle cx="${r2(tx(q.x))}" cy="${r2(ty(q.y))}" r="2" fill="none" stroke="${s.color}" stroke-opacity="0.45"/>`);
    }
    if (pts.length > 1) {
      const d = pts.map((q, i) => `${i ? 'L' : 'M'}${r2(tx(q.x))},${r2(ty(q.y))}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.emphasis ? 2.6 : 1.8}" stroke-linejoin="round"/>`);
    }
    for (const q of pts) out.push(`<circle cx="${r2(tx(q.x))}" cy="${r2(ty(q.y))}" r="${s.emphasis ? 3.2 : 2.6}" fill="${s.color}"/>`);
  }
  out.push('</g>');
  return out.join('\n');
}

export function renderChart(c: Chart): string {
  const pw = c.panelWidth ?? 560;
  const ph = c.panelHeight ?? 400;
  const names: Array<{ name: string; color: string; emphasis?: boolean }> = [];
  for (const p of c.panels) for (const s of p.series) if (!names.some((n) => n.name === s.name)) names.push(s);
  const head = c.subtitle ? 52 : 34;
  const legendW = 10 + Math.max(90, ...names.map((n) => n.name.length * 7.2 + 34));
  const width = Math.round(c.panels.length * pw + legendW);
  const height = head + ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>',
    '.t{font-size:15px;font-weight:bold}.st{font-size:11px;fill:#555}.pt{font-size:12px;font-weight:bold;text-anchor:middle}',
    '.frame{fill:none;stroke:#333;stroke-width:1}.grid{stroke:#e3e3e3;stroke-width:1}.ref{stroke:#999;stroke-width:1;stroke-dasharray:4 3}',
    '.tx{font-size:10px;text-anchor:middle;fill:#333}.ty{font-size:10px;text-anchor:end;fill:#333}.rl{font-size:9px;text-anchor:start;fill:#777}',
    '.al{font-size:11px;text-anchor:middle;fill:#222}.lg{font-size:11px;fill:#222}',
    '</style>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="12" y="20" class="t">${esc(c.title)}</text>`,
  ];
  if (c.subtitle) out.push(`<text x="12" y="37" class="st">${esc(c.subtitle)}</text>`);
  c.panels.forEach((p, i) => out.push(renderPanel(p, i * pw, head, pw, ph)));
  const lx = c.panels.length * pw + 6;
  names.forEach((n, i) => {
    const y = head + 34 + i * 20;
    out.push(`<line x1="${lx}" y1="${y}" x2="${lx + 22}" y2="${y}" stroke="${n.color}" stroke-width="${n.emphasis ? 2.6 : 1.8}"/>`);
    out.push(`<circle cx="${lx + 11}" cy="${y}" r="3" fill="${n.color}"/>`);
    out.push(`<text x="${lx + 28}" y="${y + 4}" class="lg">${esc(n.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
