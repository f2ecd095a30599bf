// report.mjs: statistics, the Markdown table and the latency chart (a
// hand-written SVG: empirical distribution functions on a log time axis).

export function quantile(xs, q) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}
export const median = (xs) => quantile(xs, 0.5);
export const p95 = (xs) => quantile(xs, 0.95);

const num = (v, digits) => (Number.isFinite(v) ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–');
export const fmt = {
  ms: (v) => (Number.isFinite(v) ? `${num(v, v < 10 ? 2 : 1)} ms` : '–'),
  kb: (v) => (Number.isFinite(v) ? `${num(v / 1024, 1)} KiB` : '–'),
  rate: (v) => (Number.isFinite(v) ? `${num(v, 0)} msg/s` : '–'),
  x: (v) => (Number.isFinite(v) ? `${num(v, 2)}×` : '–'),
};

/**
 * rows: [{ label, values: {column: number|undefined}, text?: {column: string}, format, better: 'lower'|'higher'|null, ratioOf? }]
 * columns: the client columns; main: xmpp-wasm's column; others: the columns the ratio compares with.
 */
export function markdownTable(rows, { columns, extra, main, alt, others }) {
  const head = ['measurement', ...columns, ...extra, 'xmpp-wasm ÷ best other'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows) {
    const cells = [...columns, ...extra].map((c) => r.text?.[c] ?? (r.values[c] === undefined ? '' : r.format(r.values[c])));
    let ratio = '';
    if (r.better) {
      const best = others.map((c) => r.values[c]).filter(Number.isFinite);
      const own = Number.isFinite(r.values[main]) ? r.values[main] : r.values[alt];
      const star = Number.isFinite(r.values[main]) ? '' : ' ¹';
      if (best.length && Number.isFinite(own)) {
        const b = r.better === 'lower' ? Math.min(...best) : Math.max(...best);
        ratio = `${fmt.x(own / b)}${star}`;
      }
    }
    lines.push(`| ${r.label} | ${cells.join(' | ')} | ${ratio} |`);
  }
  return lines.join('\n');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * The latency chart: one panel per series set ({ title, samples: {client: [ms]}, floor }),
 * each an empirical CDF per client on a log-scale time axis, with the floor's median dashed.
 */
export function latencySvg(panels, colors) {
  const W = 460;
  const H = 300;
  const m = { l: 50, r: 16, t: 34, b: 44 };
  const parts = [];
  panels.forEach((p, k) => {
    const x0 = k * W;
    const all = Object.values(p.samples).flat().filter((v) => Number.isFinite(v) && v > 0);
    if (p.floor > 0) all.push(p.floor);
    const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.05, Math.min(...all)))));
    const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all))));
    const px = (v) => x0 + m.l + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (W - m.l - m.r);
    const py = (q) => m.t + (1 - q) * (H - m.t - m.b);
    parts.push(`<text x="${x0 + W / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
    parts.push(`<rect x="${x0 + m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`);
    for (let d = lo; d <= hi * 1.001; d *= 10) {
      for (const f of [1, 2, 5]) {
        const v = d * f;
        if (v > hi * 1.001) break;
        parts.push(`<line x1="${px(v)}" x2="${px(v)}" y1="${m.t}" y2="${H - m.b}" stroke="#e4e4e4"/>`);
        parts.push(`<text x="${px(v)}" y="${H - m.b + 14}" text-anchor="middle" font-size="10">${v >= 1 ? v : v.toFixed(2)}</text>`);
      }
    }
    parts.push(`<text x="${x0 + W / 2}" y="${H - 8}" text-anchor="middle" font-size="11">ms (log scale)</text>`);
    for (const q of [0, 0.25, 0.5, 0.75, 0.95, 1]) {
      parts.push(`<line x1="${x0 + m.l}" x2="${x0 + W - m.r}" y1="${py(q)}" y2="${py(q)}" stroke="#eee"/>`);
      parts.push(`<text x="${x0 + m.l - 4}" y="${py(q) + 3}" text-anchor="end" font-size="10">${q}</text>`);
    }
    if (p.floor > 0) {
      parts.push(`<line x1="${px(p.floor)}" x2="${px(p.floor)}" y1="${m.t}" y2="${H - m.b}" stroke="#000" stroke-dasharray="4 3"/>`);
      parts.push(`<text x="${px(p.floor) + 3}" y="${H - m.b - 4}" font-size="10">fetch() floor</text>`);
    }
    Object.entries(p.samples).forEach(([name, xs], i) => {
      const s = xs.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
      if (!s.length) return;
      let d = `M${px(s[0]).toFixed(1)},${py(0).toFixed(1)}`;
      s.forEach((v, j) => {
        d += ` L${px(v).toFixed(1)},${py(j / s.length).toFixed(1)} L${px(v).toFixed(1)},${py((j + 1) / s.length).toFixed(1)}`;
      });
      parts.push(`<path d="${d}" fill="none" stroke="${colors[name] ?? '#666'}" stroke-width="1.6"/>`);
      // The legend sits bottom right, where distribution curves leave room.
      const ly = H - m.b - 12 - (Object.keys(p.samples).length - 1 - i) * 14;
      const label = `${name} (median ${median(s).toFixed(1)} ms)`;
      parts.push(`<rect x="${x0 + W - m.r - 22 - label.length * 5.6}" y="${ly - 10}" width="${label.length * 5.6 + 20}" height="14" fill="#fff" fill-opacity="0.85"/>`);
      parts.push(`<rect x="${x0 + W - m.r - 14}" y="${ly - 5}" width="10" height="3" fill="${colors[name] ?? '#666'}"/>`);
      parts.push(`<text x="${x0 + W - m.r - 18}" y="${ly}" text-anchor="end" font-size="10">${esc(label)}</text>`);
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * panels.length}" height="${H}" font-family="sans-serif" font-size="12">\n` +
    `<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n` +
    `<text x="${m.l}" y="${H - 8}" font-size="9" fill="#666">share of samples at or below</text>\n</svg>\n`;
}
