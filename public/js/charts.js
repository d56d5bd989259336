// Inline SVG charts drawn here (no library): a time-series line chart with axes, grid lines and
// a hover tooltip, and horizontal bars.
import { h, fmtNumber } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined && value !== null) node.setAttribute(key, value);
  for (const child of children) if (child) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function niceMax(value) {
  if (value <= 0) return 1;
  const exponent = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * exponent >= value) return step * exponent;
  return 10 * exponent;
}

function timeLabel(date, intervalSeconds) {
  return intervalSeconds >= 86400 ? date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
    : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/**
 * series: [{ name, color, values: [number|null] }], points: [Date]
 */
export function lineChart({ title, points, series, unit = '', intervalSeconds = 60, height = 220 }) {
  const width = 720;
  const pad = { left: 52, right: 12, top: 12, bottom: 28 };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  // Counts never get a scale below 4, so one call does not draw ticks at 0.25 requests.
  const max = niceMax(Math.max(unit ? 0 : 4, ...series.flatMap((line) => line.values.filter((v) => v !== null && v !== undefined))));
  const x = (i) => pad.left + (points.length <= 1 ? innerW / 2 : (i / (points.length - 1)) * innerW);
  const y = (v) => pad.top + innerH - (v / max) * innerH;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  const axis = s('g', { class: 'axis' });
  for (let i = 0; i <= 4; i++) {
    const value = (max / 4) * i;
    axis.append(s('line', { class: 'grid-line', x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value) }),
      s('text', { x: pad.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, `${fmtNumber(value, value < 10 && max < 10 ? 1 : 0)}${unit}`));
  }
  const labels = Math.min(6, points.length);
  for (let k = 0; k < labels; k++) {
    const i = labels === 1 ? 0 : Math.round((k / (labels - 1)) * (points.length - 1));
    const anchor = labels > 1 && k === 0 ? 'start' : labels > 1 && k === labels - 1 ? 'end' : 'middle';
    axis.append(s('text', { x: x(i), y: height - 8, 'text-anchor': anchor }, timeLabel(points[i], intervalSeconds)));
  }
  svg.append(axis);
  for (const line of series) {
    let d = '';
    line.values.forEach((value, i) => {
      if (value === null || value === undefined) return;
      d += `${d ? 'L' : 'M'}${x(i).toFixed(1)},${y(value).toFixed(1)}`;
    });
    if (d) svg.append(s('path', { d, fill: 'none', stroke: line.color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
    if (points.length <= 60) {
      line.values.forEach((value, i) => {
        if (value !== null && value !== undefined) svg.append(s('circle', { cx: x(i), cy: y(value), r: 2.5, fill: line.color }));
      });
    }
  }
  const cursor = s('line', { x1: 0, x2: 0, y1: pad.top, y2: pad.top + innerH, stroke: '#94a3b8', 'stroke-dasharray': '3 3', visibility: 'hidden' });
  svg.append(cursor);
  const box = h('div.chart-box');
  const tip = h('div.chart-tooltip', { hidden: true });
  box.append(svg, tip);
  const overlay = s('rect', { x: pad.left, y: pad.top, width: innerW, height: innerH, fill: 'transparent', tabindex: 0 });
  svg.append(overlay);
  function show(index) {
    if (!points.length) return;
    cursor.setAttribute('x1', x(index));
    cursor.setAttribute('x2', x(index));
    cursor.setAttribute('visibility', 'visible');
    tip.hidden = false;
    tip.replaceChildren(h('div', h('strong', points[index].toLocaleString())),
      ...series.map((line) => h('div', `${line.name}: ${line.values[index] === null || line.values[index] === undefined ? '—' : fmtNumber(line.values[index], 1)}${unit}`)));
    const rect = svg.getBoundingClientRect();
    const left = (x(index) / width) * rect.width;
    tip.style.left = `${Math.min(rect.width - 170, Math.max(0, left + 10))}px`;
    tip.style.top = '8px';
  }
  let keyboardIndex = points.length - 1;
  overlay.addEventListener('mousemove', (event) => {
    const rect = svg.getBoundingClientRect();
    const px = ((event.clientX - rect.left) / rect.width) * width;
    const index = Math.max(0, Math.min(points.length - 1, Math.round(((px - pad.left) / innerW) * (points.length - 1))));
    show(index);
  });
  overlay.addEventListener('mouseleave', () => { tip.hidden = true; cursor.setAttribute('visibility', 'hidden'); });
  overlay.addEventListener('focus', () => show(keyboardIndex));
  overlay.addEventListener('blur', () => { tip.hidden = true; cursor.setAttribute('visibility', 'hidden'); });
  overlay.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowLeft') keyboardIndex = Math.max(0, keyboardIndex - 1);
    else if (event.key === 'ArrowRight') keyboardIndex = Math.min(points.length - 1, keyboardIndex + 1);
    else return;
    event.preventDefault();
    show(keyboardIndex);
  });
  return h('figure', { style: 'margin:0' }, h('figcaption.row', h('strong', title), h('span.spacer'),
    h('div.legend', series.map((line) => h('span', { style: `--c:${line.color}` }, line.name)))), box);
}

/** rows: [{ label, value, color? }] */
export function barList(rows, { unit = '' } = {}) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return h('div', { role: 'list' }, rows.map((row) => h('div.bar-row', { role: 'listitem' },
    h('span', { title: row.label, style: 'overflow:hidden;text-overflow:ellipsis;white-space:nowrap' }, row.label),
    h('div', h('div.bar', { style: `width:${Math.max(2, (row.value / max) * 100)}%;background:${row.color || 'var(--primary)'}` })),
    h('span.small', { style: 'text-align:right' }, `${fmtNumber(row.value)}${unit}`))));
}
