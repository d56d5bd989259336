import { api, all } from '../api.js';
import { h, clear, empty, errorAlert, fmtNumber } from '../ui.js';
import { lineChart, barList } from '../charts.js';

export const ranges = [['1h', 'Last hour', 3600], ['24h', 'Last 24 hours', 86400], ['7d', 'Last 7 days', 7 * 86400], ['30d', 'Last 30 days', 30 * 86400]];

/** The APIs the caller maintains and the applications of their teams, for scope pickers. */
export async function scopeOptions(session) {
  const admin = session.me.tenant?.role === 'admin';
  const maintained = new Set(session.me.teams.filter((t) => t.role === 'maintainer').map((t) => t.id));
  const [apis, apps] = await Promise.all([all('/apis').catch(() => []), all('/applications').catch(() => [])]);
  return {
    admin,
    apis: apis.filter((a) => admin || maintained.has(a.teamId)),
    apps,
  };
}

export function scopeSelect(options, selected) {
  const select = h('select', { id: 'scope', name: 'scope', 'aria-label': 'API or application' });
  if (options.admin) select.append(h('option', { value: '' }, 'All traffic of the tenant'));
  if (options.apis.length) select.append(h('optgroup', { label: 'APIs you publish' }, options.apis.map((a) => h('option', { value: `api:${a.id}`, selected: selected === `api:${a.id}` }, a.name))));
  if (options.apps.length) select.append(h('optgroup', { label: 'Your applications' }, options.apps.map((a) => h('option', { value: `app:${a.id}`, selected: selected === `app:${a.id}` }, a.name))));
  return select;
}

export function scopeParams(value, range) {
  const seconds = (ranges.find((r) => r[0] === range) || ranges[1])[2];
  const params = { from: new Date(Date.now() - seconds * 1000).toISOString(), to: new Date(Date.now() + 60000).toISOString() };
  if (value.startsWith('api:')) params.apiId = value.slice(4);
  if (value.startsWith('app:')) params.applicationId = value.slice(4);
  return params;
}

export async function render(root, query, { session }) {
  const options = await scopeOptions(session);
  const initial = query.apiId ? `api:${query.apiId}` : query.applicationId ? `app:${query.applicationId}` : options.admin ? '' : options.apis[0] ? `api:${options.apis[0].id}` : options.apps[0] ? `app:${options.apps[0].id}` : null;
  root.append(h('div.page-head', h('div', h('h1', 'Analytics'), h('p.lead', 'Calls through the gateway: volume, errors, latency and who calls.'))));
  if (initial === null) {
    root.append(empty('Nothing to show yet', 'Analytics cover APIs you publish and your applications. Create an application or an API first.'));
    return;
  }
  const scope = scopeSelect(options, initial);
  const range = h('select', { id: 'range', 'aria-label': 'Time range' }, ranges.map(([value, label]) => h('option', { value, selected: value === (query.range || '24h') }, label)));
  const body = h('div', { 'aria-live': 'polite' });
  root.append(h('div.search-bar', h('label', { for: 'scope', class: 'hidden' }, 'Scope'), scope, range, h('a.btn', { href: '#/logs', id: 'to-logs' }, 'Call log')), body);
  scope.addEventListener('change', load);
  range.addEventListener('change', load);

  async function load() {
    const params = scopeParams(scope.value, range.value);
    root.querySelector('#to-logs').setAttribute('href', `#/logs?${new URLSearchParams({ scope: scope.value, range: range.value })}`);
    clear(body, h('div.skeleton', { style: 'min-height:220px' }));
    try {
      const [summary, series, codes, consumers] = await Promise.all([
        api('/analytics/summary', { params }), api('/analytics/timeseries', { params }), api('/analytics/status-codes', { params }),
        params.apiId || !params.applicationId ? api('/analytics/consumers', { params }) : Promise.resolve({ items: [] }),
      ]);
      if (summary.requests === 0) {
        clear(body, empty('No calls in this range', 'Calls through the gateway appear here within a second or two.'));
        return;
      }
      // Every bucket of the range, empty ones as zero, so the lines are continuous.
      const step = series.intervalSeconds * 1000;
      const byTime = new Map(series.items.map((p) => [new Date(p.bucket).getTime(), p]));
      const start = Math.floor(new Date(params.from).getTime() / step) * step;
      const end = Math.floor(Date.now() / step) * step;
      const filled = [];
      for (let t = start; t <= end; t += step) {
        filled.push(byTime.get(t) || { bucket: new Date(t).toISOString(), requests: 0, clientErrors: 0, serverErrors: 0, p50Ms: null, p95Ms: null, p99Ms: null });
      }
      series.items = filled;
      const points = series.items.map((p) => new Date(p.bucket));
      const stats = [
        ['Requests', fmtNumber(summary.requests)],
        ['Error rate (5xx)', `${fmtNumber(summary.errorRate * 100, 2)} %`],
        ['Client errors (4xx)', fmtNumber(summary.clientErrors)],
        ['p50 latency', summary.p50Ms === null ? '—' : `≤ ${fmtNumber(summary.p50Ms)} ms`],
        ['p95 latency', summary.p95Ms === null ? '—' : `≤ ${fmtNumber(summary.p95Ms)} ms`],
        ['p99 latency', summary.p99Ms === null ? '—' : `≤ ${fmtNumber(summary.p99Ms)} ms`],
      ];
      clear(body,
        h('div.grid.stats', stats.map(([label, value]) => h('div.card.stat', { 'data-stat': label }, h('div.label', label), h('div.value', value)))),
        h('div.card', { style: 'margin-top:1rem' }, lineChart({ title: 'Requests', points, intervalSeconds: series.intervalSeconds,
          series: [{ name: 'requests', color: '#4338ca', values: series.items.map((p) => p.requests) },
            { name: '5xx', color: '#b42318', values: series.items.map((p) => p.serverErrors) },
            { name: '4xx', color: '#b7791f', values: series.items.map((p) => p.clientErrors) }] })),
        h('div.card', lineChart({ title: 'Latency', unit: ' ms', points, intervalSeconds: series.intervalSeconds,
          series: [{ name: 'p50', color: '#0e7490', values: series.items.map((p) => p.p50Ms) },
            { name: 'p95', color: '#7e22ce', values: series.items.map((p) => p.p95Ms) },
            { name: 'p99', color: '#be185d', values: series.items.map((p) => p.p99Ms) }] })),
        h('div.grid.two', { style: 'margin-top:1rem' },
          h('div.card', h('h3', 'Status codes'), barList(codes.items.map((c) => ({ label: String(c.status), value: c.count,
            color: c.status >= 500 ? '#b42318' : c.status >= 400 ? '#b7791f' : '#067647' })))),
          consumers.items.length ? h('div.card', h('h3', 'Top consumers'), barList(consumers.items.map((c) => ({ label: `${c.applicationName}`, value: c.requests }))))
            : h('div.card', h('h3', 'Top consumers'), h('p.muted', 'Shown for APIs.'))));
    } catch (error) {
      clear(body, errorAlert(error));
    }
  }
  await load();
}
