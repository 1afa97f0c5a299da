// Dispositions per day as stacked bars in inline SVG, with the same numbers as a table for screen readers.
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#1b6ac9', '#e07b00', '#2e8540', '#b5179e', '#6c757d', '#8f5b00', '#0a7d8c', '#c92a2a'];

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** @param {{ day: string, counts: Record<string, number> }[]} days */
export function dispositionChart(days) {
  const codes = [...new Set(days.flatMap((d) => Object.keys(d.counts)))].sort();
  const max = Math.max(1, ...days.map((d) => Object.values(d.counts).reduce((a, b) => a + b, 0)));
  const width = 640;
  const height = 200;
  const pad = { left: 32, bottom: 28, top: 8 };
  const slot = (width - pad.left) / Math.max(days.length, 1);
  const bar = Math.min(40, slot * 0.7);
  const scale = (height - pad.bottom - pad.top) / max;
  const total = days.reduce((n, d) => n + Object.values(d.counts).reduce((a, b) => a + b, 0), 0);
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `Dispositions per day: ${total} calls over ${days.length} day${days.length === 1 ? '' : 's'}`,
    class: 'chart',
  });
  for (const tick of [0, Math.ceil(max / 2), max]) {
    const y = height - pad.bottom - tick * scale;
    svg.append(
      s('line', { x1: pad.left, x2: width, y1: y, y2: y, class: 'grid' }),
      s('text', { x: pad.left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, tick),
    );
  }
  days.forEach((d, i) => {
    const x = pad.left + i * slot + (slot - bar) / 2;
    let y = height - pad.bottom;
    codes.forEach((code, c) => {
      const n = d.counts[code] ?? 0;
      if (!n) return;
      y -= n * scale;
      svg.append(
        s(
          'rect',
          { x, y, width: bar, height: n * scale, fill: COLORS[c % COLORS.length] },
          s('title', {}, `${d.day}: ${code} ${n}`),
        ),
      );
    });
    svg.append(
      s('text', { x: x + bar / 2, y: height - 10, 'text-anchor': 'middle', class: 'axis' }, d.day.slice(5)),
    );
  });
  const legend = h(
    'ul',
    { class: 'legend' },
    codes.map((code, c) =>
      h(
        'li',
        {},
        h('span', { class: 'swatch', style: undefined, dataset: { color: String(c % COLORS.length) } }),
        code,
      ),
    ),
  );
  const table = h(
    'details',
    {},
    h('summary', {}, 'Show as a table'),
    h(
      'table',
      { class: 'table compact' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Day'),
          codes.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h(
        'tbody',
        {},
        days.map((d) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, d.day),
            codes.map((c) => h('td', {}, d.counts[c] ?? 0)),
          ),
        ),
      ),
    ),
  );
  return h('figure', { class: 'chart-figure' }, svg, legend, table);
}

/** The analytics answer when it is bucketed by day, else the same counts from the call list. */
export function daysFrom(analytics, calls) {
  const buckets = Array.isArray(analytics?.buckets) ? analytics.buckets : null;
  if (buckets)
    return buckets.map((b) => {
      const counts = Object.fromEntries(Object.entries(b.counts ?? {}).filter(([, n]) => n > 0));
      const rest = (b.total ?? 0) - Object.values(counts).reduce((a, n) => a + n, 0);
      if (rest > 0) counts['no disposition'] = rest;
      return { day: String(b.day ?? b.date ?? b.start ?? '').slice(0, 10), counts };
    });
  const byDay = new Map();
  for (const call of calls) {
    const day = String(call.startedAt ?? '').slice(0, 10);
    if (!day) continue;
    const counts = byDay.get(day) ?? {};
    const code = call.disposition ?? 'no disposition';
    counts[code] = (counts[code] ?? 0) + 1;
    byDay.set(day, counts);
  }
  return [...byDay.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, counts]) => ({ day, counts }));
}
